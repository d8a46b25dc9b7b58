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
}
