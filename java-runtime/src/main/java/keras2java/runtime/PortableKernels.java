package keras2java.runtime;

/**
 * {@link Kernels} in plain Java 8, the default.
 *
 * <p>HotSpot's C2 only vectorizes a loop when every array access uses the same
 * index expression (it cannot rule out that two float[] references alias), so
 * a matrix is held as one array per row and the products accumulate in
 * zero-offset per-thread arrays: the inner loops below become SIMD code
 * (measured on this project's 2-core machine: ~6 GFLOP/s for an offset form,
 * 30-40 GFLOP/s in cache for this form).
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

    /** Row arrays: {@code w[k]} is row k. */
    @Override
    float[][] pack(float[] data, int off, int ld, int n, int out) {
        final float[][] w = new float[n][];
        for (int k = 0; k < n; k++) {
            w[k] = java.util.Arrays.copyOfRange(data, off + k * ld, off + k * ld + out);
        }
        return w;
    }

    @Override
    float[] packBias(float[] data, int off, int out) {
        return off < 0 ? new float[out] : java.util.Arrays.copyOfRange(data, off, off + out);
    }

    /** Four rows of x share each pass over the weights. */
    @Override
    void matmul(float[] x, int xOff, int rows, int in, float[][] w, float[] bias, int out, float[] y, int yOff) {
        final float[][] acc = acc(out);
        final float[] y0 = acc[0];
        final float[] y1 = acc[1];
        final float[] y2 = acc[2];
        final float[] y3 = acc[3];
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            System.arraycopy(bias, 0, y0, 0, out);
            System.arraycopy(bias, 0, y1, 0, out);
            System.arraycopy(bias, 0, y2, 0, out);
            System.arraycopy(bias, 0, y3, 0, out);
            final int x0 = xOff + r * in;
            for (int k = 0; k < in; k++) {
                final float a0 = x[x0 + k];
                final float a1 = x[x0 + in + k];
                final float a2 = x[x0 + 2 * in + k];
                final float a3 = x[x0 + 3 * in + k];
                final float[] wk = w[k];
                for (int j = 0; j < out; j++) {
                    final float wv = wk[j];
                    y0[j] += a0 * wv;
                    y1[j] += a1 * wv;
                    y2[j] += a2 * wv;
                    y3[j] += a3 * wv;
                }
            }
            final int yo = yOff + r * out;
            System.arraycopy(y0, 0, y, yo, out);
            System.arraycopy(y1, 0, y, yo + out, out);
            System.arraycopy(y2, 0, y, yo + 2 * out, out);
            System.arraycopy(y3, 0, y, yo + 3 * out, out);
        }
        // The remaining rows add the products one input at a time, exactly as the blocked
        // rows above do, so a row's result never depends on how many rows come with it.
        for (; r < rows; r++) {
            System.arraycopy(bias, 0, y0, 0, out);
            final int x0 = xOff + r * in;
            for (int k = 0; k < in; k++) {
                final float a0 = x[x0 + k];
                final float[] wk = w[k];
                for (int j = 0; j < out; j++) {
                    y0[j] += a0 * wk[j];
                }
            }
            System.arraycopy(y0, 0, y, yOff + r * out, out);
        }
    }

    /** As {@link #matmul}: four rows share each pass over the weights; rows start from y. */
    @Override
    void gemmAcc(float[] x, int xOff, int ldx, int rows, int in, float[][] w, int out, float[] y, int yOff,
                 int ldy) {
        final float[][] acc = acc(out);
        final float[] y0 = acc[0];
        final float[] y1 = acc[1];
        final float[] y2 = acc[2];
        final float[] y3 = acc[3];
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            final int yo = yOff + r * ldy;
            System.arraycopy(y, yo, y0, 0, out);
            System.arraycopy(y, yo + ldy, y1, 0, out);
            System.arraycopy(y, yo + 2 * ldy, y2, 0, out);
            System.arraycopy(y, yo + 3 * ldy, y3, 0, out);
            final int x0 = xOff + r * ldx;
            for (int k = 0; k < in; k++) {
                final float a0 = x[x0 + k];
                final float a1 = x[x0 + ldx + k];
                final float a2 = x[x0 + 2 * ldx + k];
                final float a3 = x[x0 + 3 * ldx + k];
                final float[] wk = w[k];
                for (int j = 0; j < out; j++) {
                    final float wv = wk[j];
                    y0[j] += a0 * wv;
                    y1[j] += a1 * wv;
                    y2[j] += a2 * wv;
                    y3[j] += a3 * wv;
                }
            }
            System.arraycopy(y0, 0, y, yo, out);
            System.arraycopy(y1, 0, y, yo + ldy, out);
            System.arraycopy(y2, 0, y, yo + 2 * ldy, out);
            System.arraycopy(y3, 0, y, yo + 3 * ldy, out);
        }
        // One row (batch 1 and the last rows): four inputs per pass over the row, added one
        // after the other, (((y + a0 w0) + a1 w1) + a2 w2) + a3 w3: the roundings of the
        // blocked rows above, with a quarter of the accumulator traffic.
        final int in4 = in - (in & 3);
        for (; r < rows; r++) {
            final int yo = yOff + r * ldy;
            System.arraycopy(y, yo, y0, 0, out);
            final int x0 = xOff + r * ldx;
            int k = 0;
            for (; k < in4; k += 4) {
                final float a0 = x[x0 + k];
                final float a1 = x[x0 + k + 1];
                final float a2 = x[x0 + k + 2];
                final float a3 = x[x0 + k + 3];
                final float[] w0 = w[k];
                final float[] w1 = w[k + 1];
                final float[] w2 = w[k + 2];
                final float[] w3 = w[k + 3];
                for (int j = 0; j < out; j++) {
                    y0[j] = (((y0[j] + a0 * w0[j]) + a1 * w1[j]) + a2 * w2[j]) + a3 * w3[j];
                }
            }
            for (; k < in; k++) {
                final float a0 = x[x0 + k];
                final float[] wk = w[k];
                for (int j = 0; j < out; j++) {
                    y0[j] += a0 * wk[j];
                }
            }
            System.arraycopy(y0, 0, y, yo, out);
        }
    }

    /** One pass: the five activations of an element are independent, so they overlap. */
    @Override
    void lstmGates(float[] p, int z, float[] st, int hOff, int u) {
        final int cOff = hOff + u;
        for (int j = 0; j < u; j++) {
            final float i = Activation.sigmoid(p[z + j]);
            final float f = Activation.sigmoid(p[z + u + j]);
            final float g = Activation.tanh(p[z + 2 * u + j]);
            final float o = Activation.sigmoid(p[z + 3 * u + j]);
            final float c = f * st[cOff + j] + i * g;
            st[cOff + j] = c;
            st[hOff + j] = o * Activation.tanh(c);
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
