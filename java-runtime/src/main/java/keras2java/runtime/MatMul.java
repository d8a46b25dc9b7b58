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
            final int xo = xOff + r * in;
            // Four input rows at a time: fewer passes over y.
            int k = 0;
            for (; k + 3 < in; k += 4) {
                final float a0 = x[xo + k];
                final float a1 = x[xo + k + 1];
                final float a2 = x[xo + k + 2];
                final float a3 = x[xo + k + 3];
                final int w0 = wOff + k * out;
                final int w1 = w0 + out;
                final int w2 = w1 + out;
                final int w3 = w2 + out;
                for (int j = 0; j < out; j++) {
                    y[yo + j] += a0 * w[w0 + j] + a1 * w[w1 + j] + a2 * w[w2 + j] + a3 * w[w3 + j];
                }
            }
            for (; k < in; k++) {
                final float a = x[xo + k];
                final int wo = wOff + k * out;
                for (int j = 0; j < out; j++) {
                    y[yo + j] += a * w[wo + j];
                }
            }
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
}
