package keras2java.runtime;

/** Keras merge layers: Concatenate and elementwise Add, Subtract, Multiply, Average, Maximum, Minimum. */
public final class Merge {
    public static final int ADD = 0;
    public static final int SUBTRACT = 1;
    public static final int MULTIPLY = 2;
    public static final int AVERAGE = 3;
    public static final int MAXIMUM = 4;
    public static final int MINIMUM = 5;

    private Merge() {
    }

    /**
     * Concatenates {@code outer} blocks: block o of the output is block o of
     * every input in turn, input i contributing {@code parts[i]} floats per block.
     */
    public static void concatenate(float[][] xs, int[] parts, int outer, float[] y) {
        int width = 0;
        for (int p : parts) {
            width += p;
        }
        for (int o = 0; o < outer; o++) {
            int pos = o * width;
            for (int i = 0; i < xs.length; i++) {
                System.arraycopy(xs[i], o * parts[i], y, pos, parts[i]);
                pos += parts[i];
            }
        }
    }

    /** {@code y[0..n)} = the elementwise merge of the inputs, in Keras' order of operations. */
    public static void elementwise(int mode, float[][] xs, int n, float[] y) {
        System.arraycopy(xs[0], 0, y, 0, n);
        for (int i = 1; i < xs.length; i++) {
            final float[] x = xs[i];
            switch (mode) {
                case ADD:
                case AVERAGE:
                    for (int j = 0; j < n; j++) {
                        y[j] += x[j];
                    }
                    break;
                case SUBTRACT:
                    for (int j = 0; j < n; j++) {
                        y[j] -= x[j];
                    }
                    break;
                case MULTIPLY:
                    for (int j = 0; j < n; j++) {
                        y[j] *= x[j];
                    }
                    break;
                case MAXIMUM:
                    for (int j = 0; j < n; j++) {
                        y[j] = Math.max(y[j], x[j]);
                    }
                    break;
                case MINIMUM:
                    for (int j = 0; j < n; j++) {
                        y[j] = Math.min(y[j], x[j]);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown merge mode " + mode);
            }
        }
        if (mode == AVERAGE) {
            final float k = xs.length;
            for (int j = 0; j < n; j++) {
                y[j] /= k;
            }
        }
    }

    /**
     * Keras Dot: {@code x} is {@code (xr, xc)} and {@code y} is {@code (yr, yc)}
     * (a vector is one row, contracted along axis 1); contracts axis {@code ax}
     * of {@code x} with axis {@code ay} of {@code y}.  The output is row-major
     * {@code (x's other axis, y's other axis)}.  With {@code normalize} both
     * inputs are first L2-normalized along the contracted axis, the inverse
     * norm capped at {@code invCap} as Keras does.
     *
     * @param ws workspace of at least {@code dotWorkspaceSize(xr, xc, yr, yc)} floats from {@code wsOff}
     */
    public static void dot(float[] x, int xr, int xc, int ax, float[] y, int yr, int yc, int ay,
                           boolean normalize, float invCap, float[] out, float[] ws, int wsOff) {
        final int n = ax == 1 ? xc : xr;
        final int p = ax == 1 ? xr : xc;
        final int q = ay == 1 ? yr : yc;
        final int a = wsOff;
        final int b = wsOff + p * n;
        gather(x, xc, ax, p, n, ws, a);
        gather(y, yc, ay, q, n, ws, b);
        if (normalize) {
            l2Rows(ws, a, p, n, invCap);
            l2Rows(ws, b, q, n, invCap);
        }
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < q; j++) {
                float sum = 0f;
                for (int k = 0; k < n; k++) {
                    sum += ws[a + i * n + k] * ws[b + j * n + k];
                }
                out[i * q + j] = sum;
            }
        }
    }

    /** Floats of workspace {@link #dot} needs: both inputs' values. */
    public static int dotWorkspaceSize(int xr, int xc, int yr, int yc) {
        return xr * xc + yr * yc;
    }

    /** The matrix as {@code rows} rows of the {@code n} values along axis {@code axis}, at {@code g[off..]}. */
    private static void gather(float[] x, int cols, int axis, int rows, int n, float[] g, int off) {
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < n; k++) {
                g[off + i * n + k] = axis == 1 ? x[i * cols + k] : x[k * cols + i];
            }
        }
    }

    private static void l2Rows(float[] a, int off, int rows, int n, float invCap) {
        for (int i = 0; i < rows; i++) {
            final int r = off + i * n;
            double ss = 0.0;
            for (int k = 0; k < n; k++) {
                ss += (double) a[r + k] * a[r + k];
            }
            final float inv = (float) Math.min(1.0 / Math.sqrt((float) ss), invCap);
            for (int k = 0; k < n; k++) {
                a[r + k] *= inv;
            }
        }
    }
}
