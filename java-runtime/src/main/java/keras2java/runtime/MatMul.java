package keras2java.runtime;

/** Dense matrix kernels over row-major float arrays with offsets. */
public final class MatMul {
    private MatMul() {
    }

    /**
     * {@code y[r, :] = bias + x[r, :] . w} for {@code rows} rows, where {@code w}
     * is {@code (in, out)} row-major at {@code wOff} and {@code bias} (length
     * {@code out}, at {@code bOff}) is skipped when {@code bOff < 0}.
     */
    public static void matmulBias(float[] x, int xOff, int rows, int in,
                                  float[] w, int wOff, float[] b, int bOff, int out,
                                  float[] y, int yOff) {
        for (int r = 0; r < rows; r++) {
            final int yo = yOff + r * out;
            if (bOff >= 0) {
                System.arraycopy(b, bOff, y, yo, out);
            } else {
                java.util.Arrays.fill(y, yo, yo + out, 0f);
            }
        }
        // Four rows of x at a time share each pass over a weight row: a quarter
        // of the memory traffic of row-by-row products.
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            final int x0 = xOff + r * in;
            final int x1 = x0 + in;
            final int x2 = x1 + in;
            final int x3 = x2 + in;
            final int y0 = yOff + r * out;
            final int y1 = y0 + out;
            final int y2 = y1 + out;
            final int y3 = y2 + out;
            for (int k = 0; k < in; k++) {
                final float a0 = x[x0 + k];
                final float a1 = x[x1 + k];
                final float a2 = x[x2 + k];
                final float a3 = x[x3 + k];
                final int wo = wOff + k * out;
                for (int j = 0; j < out; j++) {
                    final float wv = w[wo + j];
                    y[y0 + j] += a0 * wv;
                    y[y1 + j] += a1 * wv;
                    y[y2 + j] += a2 * wv;
                    y[y3 + j] += a3 * wv;
                }
            }
        }
        for (; r < rows; r++) {
            addVecMat(x, xOff + r * in, in, w, wOff, out, y, yOff + r * out);
        }
    }

    /** {@code y[yOff .. yOff+out) += v . w} where {@code w} is {@code (n, out)} row-major. */
    public static void addVecMat(float[] v, int vOff, int n, float[] w, int wOff, int out,
                                 float[] y, int yOff) {
        int k = 0;
        for (; k + 3 < n; k += 4) {
            final float a0 = v[vOff + k];
            final float a1 = v[vOff + k + 1];
            final float a2 = v[vOff + k + 2];
            final float a3 = v[vOff + k + 3];
            final int w0 = wOff + k * out;
            final int w1 = w0 + out;
            final int w2 = w1 + out;
            final int w3 = w2 + out;
            for (int j = 0; j < out; j++) {
                y[yOff + j] += a0 * w[w0 + j] + a1 * w[w1 + j] + a2 * w[w2 + j] + a3 * w[w3 + j];
            }
        }
        for (; k < n; k++) {
            final float a = v[vOff + k];
            final int wo = wOff + k * out;
            for (int j = 0; j < out; j++) {
                y[yOff + j] += a * w[wo + j];
            }
        }
    }

    /*
     * Row-array kernels.  HotSpot's C2 only vectorizes a loop when every array
     * access uses the same index expression (it cannot rule out that two float[]
     * references alias); with weights as one float[] per row and accumulators
     * starting at index 0, the inner loops below become SIMD code (measured on
     * this project's 2-core machine: ~6 GFLOP/s for the offset form, 30-40
     * GFLOP/s in cache for this form).
     */

    /** Copies an {@code (n, out)} row-major matrix at {@code data[off..]} into row arrays. */
    public static float[][] rows(float[] data, int off, int n, int out) {
        float[][] w = new float[n][];
        for (int k = 0; k < n; k++) {
            w[k] = java.util.Arrays.copyOfRange(data, off + k * out, off + (k + 1) * out);
        }
        return w;
    }

    /** Per-thread accumulators (no allocation per call in steady state). */
    private static final ThreadLocal<float[][]> ACC = new ThreadLocal<float[][]>();

    private static float[][] acc(int out) {
        float[][] a = ACC.get();
        if (a == null || a[0].length < out) {
            a = new float[4][out];
            ACC.set(a);
        }
        return a;
    }

    /** {@code y[yOff .. yOff+out) += v[vOff .. vOff+n) . w} with {@code w} as row arrays. */
    public static void addVecMatRows(float[] v, int vOff, int n, float[][] w, int out, float[] y, int yOff) {
        final float[] a = acc(out)[0];
        System.arraycopy(y, yOff, a, 0, out);
        accumulate(v, vOff, n, w, out, a);
        System.arraycopy(a, 0, y, yOff, out);
    }

    private static void accumulate(float[] v, int vOff, int n, float[][] w, int out, float[] a) {
        int k = 0;
        for (; k + 3 < n; k += 4) {
            final float a0 = v[vOff + k];
            final float a1 = v[vOff + k + 1];
            final float a2 = v[vOff + k + 2];
            final float a3 = v[vOff + k + 3];
            final float[] w0 = w[k];
            final float[] w1 = w[k + 1];
            final float[] w2 = w[k + 2];
            final float[] w3 = w[k + 3];
            for (int j = 0; j < out; j++) {
                a[j] += a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j];
            }
        }
        for (; k < n; k++) {
            final float c = v[vOff + k];
            final float[] wk = w[k];
            for (int j = 0; j < out; j++) {
                a[j] += c * wk[j];
            }
        }
    }

    /**
     * {@code y[r, :] = bias + x[r, :] . w} for {@code rows} rows, {@code w} as row
     * arrays, {@code bias} a zero-offset array of length {@code out} or null.
     * Four rows of x share each pass over the weights.
     */
    public static void matmulBiasRows(float[] x, int xOff, int rows, int in, float[][] w, float[] bias, int out,
                                      float[] y, int yOff) {
        final float[][] acc = acc(out);
        final float[] y0 = acc[0];
        final float[] y1 = acc[1];
        final float[] y2 = acc[2];
        final float[] y3 = acc[3];
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            init(bias, y0, out);
            init(bias, y1, out);
            init(bias, y2, out);
            init(bias, y3, out);
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
        // rows above do, so a row's result never depends on how many rows come with it
        // (streaming one timestep gives the bits predict gives for the whole sequence).
        for (; r < rows; r++) {
            init(bias, y0, out);
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

    private static void init(float[] bias, float[] a, int out) {
        if (bias != null) {
            System.arraycopy(bias, 0, a, 0, out);
        } else {
            java.util.Arrays.fill(a, 0, out, 0f);
        }
    }

    /** A zero-offset copy of a bias at {@code data[off..]}, or null for {@code off < 0}. */
    public static float[] bias(float[] data, int off, int n) {
        return off < 0 ? null : java.util.Arrays.copyOfRange(data, off, off + n);
    }
}
