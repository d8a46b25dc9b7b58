package keras2java.runtime;

/**
 * Tensor primitives that plugin layers compose (reverse along time, softmax and
 * reductions over any axis, matrix products of two tensors).  Every kernel
 * reads its input and writes a separate output array, never allocates, and
 * sees a tensor as the row-major view {@code (outer, n, inner)} around the axis
 * it works on, so one kernel serves every axis and the variable timestep axis.
 */
public final class Tensors {
    /** Reduction modes of {@link #reduce}. */
    public static final int SUM = 0;
    public static final int MEAN = 1;
    public static final int MAX = 2;

    private Tensors() {
    }

    /** {@code y} = the {@code steps} rows of {@code width} floats of {@code x} in reverse order. */
    public static void reverseSteps(float[] x, int steps, int width, float[] y) {
        for (int t = 0; t < steps; t++) {
            System.arraycopy(x, t * width, y, (steps - 1 - t) * width, width);
        }
    }

    /**
     * Softmax over the middle axis of {@code x} seen as {@code (outer, n, inner)}:
     * {@code exp(x - max) / sum(exp(x - max))}, summed in double.
     */
    public static void softmax(float[] x, int outer, int n, int inner, float[] y) {
        for (int o = 0; o < outer; o++) {
            final int base = o * n * inner;
            for (int i = 0; i < inner; i++) {
                final int start = base + i;
                float max = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < n; k++) {
                    max = Math.max(max, x[start + k * inner]);
                }
                double sum = 0.0;
                for (int k = 0; k < n; k++) {
                    sum += Math.exp((double) x[start + k * inner] - max);
                }
                for (int k = 0; k < n; k++) {
                    final int p = start + k * inner;
                    y[p] = (float) (Math.exp((double) x[p] - max) / sum);
                }
            }
        }
    }

    /**
     * Reduces the middle axis of {@code x} seen as {@code (outer, n, inner)} into
     * {@code y} seen as {@code (outer, inner)}: {@link #SUM} and {@link #MEAN}
     * accumulate in double, {@link #MAX} propagates NaN.
     */
    public static void reduce(int mode, float[] x, int outer, int n, int inner, float[] y) {
        if (mode != SUM && mode != MEAN && mode != MAX) {
            throw new IllegalArgumentException("unknown reduction " + mode);
        }
        for (int o = 0; o < outer; o++) {
            final int base = o * n * inner;
            for (int i = 0; i < inner; i++) {
                final int start = base + i;
                if (mode == MAX) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int k = 0; k < n; k++) {
                        final float v = x[start + k * inner];
                        m = v > m || v != v ? v : m;
                        if (m != m) {
                            break;
                        }
                    }
                    y[o * inner + i] = m;
                } else {
                    double s = 0.0;
                    for (int k = 0; k < n; k++) {
                        s += x[start + k * inner];
                    }
                    y[o * inner + i] = (float) (mode == MEAN ? s / n : s);
                }
            }
        }
    }

    /**
     * {@code y (m, n) = op(a) . op(b)}, summed in double.  {@code op(a)} is {@code a}
     * stored {@code (m, k)}, or with {@code transA} the transpose of {@code a}
     * stored {@code (k, m)}; {@code op(b)} is {@code b} stored {@code (k, n)}, or
     * with {@code transB} the transpose of {@code b} stored {@code (n, k)}.
     */
    public static void matmul(float[] a, int m, int k, boolean transA, float[] b, int n, boolean transB, float[] y) {
        final int ai = transA ? 1 : k;      // stride of a's row index i
        final int ap = transA ? m : 1;      // stride of the contracted index p in a
        final int bp = transB ? 1 : n;      // stride of p in b
        final int bj = transB ? k : 1;      // stride of b's column index j
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * ai + p * ap] * b[p * bp + j * bj];
                }
                y[i * n + j] = (float) s;
            }
        }
    }
}
