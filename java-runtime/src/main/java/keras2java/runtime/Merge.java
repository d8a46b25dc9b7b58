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

    /**
     * Concatenation along the timestep axis: input i contributes {@code steps[i]}
     * rows of {@code width} floats, in turn.
     */
    public static void concatenateSteps(float[][] xs, int width, float[] y, int... steps) {
        int pos = 0;
        for (int i = 0; i < xs.length; i++) {
            final int n = steps[i] * width;
            System.arraycopy(xs[i], 0, y, pos, n);
            pos += n;
        }
    }

    /** The timesteps of a concatenation along the timestep axis: the sum of the inputs'. */
    public static int sumSteps(int... steps) {
        int total = 0;
        for (int s : steps) {
            total += s;
        }
        return total;
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
     * The elementwise merge of inputs whose axes of size 1 broadcast against the
     * output {@code dims} (Keras' order of operations: {@code y = x0}, then
     * {@code y = y (op) xi}; Average divides the sum by the number of inputs).
     * {@code strides[i * rank + d]} is input i's stride along output axis d (0 where
     * it is broadcast); {@code dims[0]} may be -1: {@code steps} timesteps.  Never allocates.
     */
    public static void broadcast(int mode, float[][] xs, int[] strides, int[] dims, int steps, float[] y) {
        final int rank = dims.length;
        for (int i = 0; i < xs.length; i++) {
            walk(i == 0 ? -1 : mode, xs[i], strides, i * rank, dims, steps, 0, 0, 0, y);
        }
        if (mode == AVERAGE) {
            int n = 1;
            for (int d = 0; d < rank; d++) {
                n *= dims[d] < 0 ? steps : dims[d];
            }
            final float k = xs.length;
            for (int j = 0; j < n; j++) {
                y[j] /= k;
            }
        }
    }

    /** Applies input {@code x} along output axis {@code d} ({@code mode} -1: assigns it). */
    private static void walk(int mode, float[] x, int[] strides, int base, int[] dims, int steps, int d,
                             int ox, int oy, float[] y) {
        final int n = dims[d] < 0 ? steps : dims[d];
        final int sx = strides[base + d];
        int inner = 1;
        for (int e = d + 1; e < dims.length; e++) {
            inner *= dims[e];
        }
        if (d < dims.length - 1) {
            for (int i = 0; i < n; i++) {
                walk(mode, x, strides, base, dims, steps, d + 1, ox + i * sx, oy + i * inner, y);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            final float v = x[ox + i * sx];
            final int j = oy + i;
            switch (mode) {
                case -1:
                    y[j] = v;
                    break;
                case ADD:
                case AVERAGE:
                    y[j] += v;
                    break;
                case SUBTRACT:
                    y[j] -= v;
                    break;
                case MULTIPLY:
                    y[j] *= v;
                    break;
                case MAXIMUM:
                    y[j] = Math.max(y[j], v);
                    break;
                case MINIMUM:
                    y[j] = Math.min(y[j], v);
                    break;
                default:
                    throw new IllegalArgumentException("unknown merge mode " + mode);
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
                // in double (each float product exact), rounded once: a float running sum over
                // 20000 features was 3.6e-5 from Keras
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += (double) ws[a + i * n + k] * ws[b + j * n + k];
                }
                out[i * q + j] = (float) sum;
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
