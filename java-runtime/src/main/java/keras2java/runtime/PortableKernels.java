package keras2java.runtime;

/**
 * {@link Kernels} in plain Java 8, the default.
 *
 * <p>HotSpot's C2 only vectorizes a loop when every array access uses the same
 * index expression (it cannot rule out that two float[] references alias), so
 * a matrix is held as one array per row and the products accumulate in
 * zero-offset per-thread arrays: the inner loops below become SIMD code
 * (measured on this project's 2-core machine: ~6 GFLOP/s for an offset form,
 * 30-40 GFLOP/s in cache for this form).  Rows of a wide matrix are cut into
 * column blocks of at most 256 KiB of weights, so that a batch's rows pass over
 * a block while it is in L2 instead of streaming the whole matrix per 4 rows.
 */
final class PortableKernels extends Kernels {
    /** Per-thread accumulators: four rows of a matrix product (no allocation per call in steady state). */
    private static final ThreadLocal<float[][]> ACC = new ThreadLocal<float[][]>();

    @Override
    String describe() {
        return "portable Java";
    }

    private static float[][] acc(int out) {
        float[][] a = ACC.get();
        if (a == null || a[0].length < out) {
            a = new float[4][out];
            ACC.set(a);
        }
        return a;
    }

    /** Weights per column block at most (256 KiB): a block stays in L2 while every row passes over it. */
    private static final int BLOCK_FLOATS = 64 * 1024;

    /**
     * Columns per block of an {@code (in, out)} matrix: a multiple of 16, at least 64,
     * so that a block holds at most {@link #BLOCK_FLOATS} weights (all columns when they fit).
     */
    static int columnBlock(int in, int out) {
        int cb = BLOCK_FLOATS / Math.max(1, in);
        cb = Math.max(64, cb - cb % 16);
        return Math.max(1, Math.min(out, cb));
    }

    /**
     * Column blocks of row arrays: with {@code cb = columnBlock(n, out)}, {@code w[b*n + k]}
     * holds row k's columns {@code [b*cb, min(out, (b+1)*cb))}.
     */
    @Override
    float[][] pack(float[] data, int off, int ld, int n, int out) {
        final int cb = columnBlock(n, out);
        final int blocks = out == 0 ? 0 : (out + cb - 1) / cb;
        final float[][] w = new float[blocks * n][];
        for (int b = 0; b < blocks; b++) {
            final int j0 = b * cb;
            final int len = Math.min(cb, out - j0);
            for (int k = 0; k < n; k++) {
                w[b * n + k] = java.util.Arrays.copyOfRange(data, off + k * ld + j0, off + k * ld + j0 + len);
            }
        }
        return w;
    }

    @Override
    float[] packBias(float[] data, int off, int out) {
        return off < 0 ? new float[out] : java.util.Arrays.copyOfRange(data, off, off + out);
    }

    /** Column block by column block; in each, four rows of x share each pass over the block's weights. */
    @Override
    void matmul(float[] x, int xOff, int rows, int in, float[][] w, float[] bias, int out, float[] y, int yOff) {
        final int cb = columnBlock(in, out);
        for (int j0 = 0, b = 0; j0 < out; j0 += cb, b++) {
            final int len = Math.min(cb, out - j0);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(bias, j0, y, yOff + r * out + j0, len);
            }
            block(x, xOff, in, rows, in, w, b * in, len, y, yOff + j0, out);
        }
    }

    /** As {@link #matmul}, the rows starting from y. */
    @Override
    void gemmAcc(float[] x, int xOff, int ldx, int rows, int in, float[][] w, int out, float[] y, int yOff,
                 int ldy) {
        final int cb = columnBlock(in, out);
        for (int j0 = 0, b = 0; j0 < out; j0 += cb, b++) {
            block(x, xOff, ldx, rows, in, w, b * in, Math.min(cb, out - j0), y, yOff + j0, ldy);
        }
    }

    /**
     * {@code y[yOff + r*ldy .. + len) += x[xOff + r*ldx .. + in) . w[w0 .. w0+in)} for
     * {@code rows} rows, {@code w[w0 + k]} holding {@code len} columns of input k.  Every
     * output adds the products one input at a time, in input order, in every path below,
     * so a row's result never depends on the rows computed with it.
     */
    private static void block(float[] x, int xOff, int ldx, int rows, int in, float[][] w, int w0, int len,
                              float[] y, int yOff, int ldy) {
        final float[][] acc = acc(len);
        final float[] y0 = acc[0];
        final float[] y1 = acc[1];
        final float[] y2 = acc[2];
        final float[] y3 = acc[3];
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            final int yo = yOff + r * ldy;
            System.arraycopy(y, yo, y0, 0, len);
            System.arraycopy(y, yo + ldy, y1, 0, len);
            System.arraycopy(y, yo + 2 * ldy, y2, 0, len);
            System.arraycopy(y, yo + 3 * ldy, y3, 0, len);
            final int x0 = xOff + r * ldx;
            for (int k = 0; k < in; k++) {
                final float a0 = x[x0 + k];
                final float a1 = x[x0 + ldx + k];
                final float a2 = x[x0 + 2 * ldx + k];
                final float a3 = x[x0 + 3 * ldx + k];
                final float[] wk = w[w0 + k];
                for (int j = 0; j < len; j++) {
                    final float wv = wk[j];
                    y0[j] += a0 * wv;
                    y1[j] += a1 * wv;
                    y2[j] += a2 * wv;
                    y3[j] += a3 * wv;
                }
            }
            System.arraycopy(y0, 0, y, yo, len);
            System.arraycopy(y1, 0, y, yo + ldy, len);
            System.arraycopy(y2, 0, y, yo + 2 * ldy, len);
            System.arraycopy(y3, 0, y, yo + 3 * ldy, len);
        }
        // One row (batch 1 and the last rows): four inputs per pass over the row, added one
        // after the other, (((y + a0 w0) + a1 w1) + a2 w2) + a3 w3: the roundings of the
        // blocked rows above, with a quarter of the accumulator traffic.
        final int in4 = in - (in & 3);
        for (; r < rows; r++) {
            final int yo = yOff + r * ldy;
            System.arraycopy(y, yo, y0, 0, len);
            final int x0 = xOff + r * ldx;
            int k = 0;
            for (; k < in4; k += 4) {
                final float a0 = x[x0 + k];
                final float a1 = x[x0 + k + 1];
                final float a2 = x[x0 + k + 2];
                final float a3 = x[x0 + k + 3];
                final float[] v0 = w[w0 + k];
                final float[] v1 = w[w0 + k + 1];
                final float[] v2 = w[w0 + k + 2];
                final float[] v3 = w[w0 + k + 3];
                for (int j = 0; j < len; j++) {
                    y0[j] = (((y0[j] + a0 * v0[j]) + a1 * v1[j]) + a2 * v2[j]) + a3 * v3[j];
                }
            }
            for (; k < in; k++) {
                final float a0 = x[x0 + k];
                final float[] wk = w[w0 + k];
                for (int j = 0; j < len; j++) {
                    y0[j] += a0 * wk[j];
                }
            }
            System.arraycopy(y0, 0, y, yo, len);
        }
    }

    /**
     * Simple passes over contiguous ranges (gates i and f, g, o, then c, tanh(c), h) that
     * HotSpot turns into vector loops: the same operations per element as one fused loop
     * (Java has no contraction), so the same bits.  tanh(c) goes over the g gate, which
     * is no longer needed.
     */
    @Override
    void lstmGates(float[] p, int z, float[] st, int hOff, int u) {
        final int cOff = hOff + u;
        sigmoid(p, z, 2 * u);
        tanh(p, z + 2 * u, u);
        sigmoid(p, z + 3 * u, u);
        final int gz = z + 2 * u;
        for (int j = 0; j < u; j++) {
            st[cOff + j] = p[z + u + j] * st[cOff + j] + p[z + j] * p[gz + j];
        }
        for (int j = 0; j < u; j++) {
            p[gz + j] = Activation.tanh(st[cOff + j]);
        }
        final int oz = z + 3 * u;
        for (int j = 0; j < u; j++) {
            st[hOff + j] = p[oz + j] * p[gz + j];
        }
    }

    @Override
    void tanh(float[] a, int off, int len) {
        final int end = off + len;
        for (int i = off; i < end; i++) {
            a[i] = Activation.tanh(a[i]);
        }
    }

    @Override
    void sigmoid(float[] a, int off, int len) {
        final int end = off + len;
        for (int i = off; i < end; i++) {
            a[i] = Activation.sigmoid(a[i]);
        }
    }
}
