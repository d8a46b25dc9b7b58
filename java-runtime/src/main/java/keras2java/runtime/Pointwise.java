package keras2java.runtime;

/**
 * Elementwise layers whose parameters are broadcast over the input, as numpy
 * broadcasts them: Normalization, Rescaling and PReLU.
 *
 * <p>The parameters {@code a} and {@code b} repeat with a period of
 * {@code prod(dims)} values: {@code dims} is the input shape without the leading
 * axes along which no parameter varies (so a variable time axis is never part
 * of it), and {@code aStrides}/{@code bStrides} give, per axis of {@code dims},
 * the stride in the stored parameter (0 where it is broadcast).  Immutable.
 */
public final class Pointwise {
    /** Normalization: {@code (x - mean) / max(sqrt(variance), 1e-7)}; a = mean, b = variance. */
    public static final int NORMALIZE = 0;
    /** Normalization(invert=True): {@code mean + x * max(sqrt(variance), 1e-7)}; a = mean, b = variance. */
    public static final int DENORMALIZE = 1;
    /** Rescaling: {@code x * scale + offset}; a = scale, b = offset. */
    public static final int AFFINE = 2;
    /** PReLU: {@code x} where {@code x > 0}, else {@code alpha * x}; a = alpha. */
    public static final int PRELU = 3;

    /** Keras' {@code backend.epsilon()}, as float32. */
    private static final float EPSILON = 1e-7f;

    private final int mode;
    private final float[] a;
    private final float[] b;
    private final int period;

    public Pointwise(float[] data, int mode, int aOff, int bOff, int[] dims, int[] aStrides, int[] bStrides) {
        if (mode < NORMALIZE || mode > PRELU) {
            throw new IllegalArgumentException("unknown Pointwise mode " + mode);
        }
        this.mode = mode;
        this.a = expand(data, aOff, dims, aStrides);
        float[] bb = bOff < 0 ? null : expand(data, bOff, dims, bStrides);
        if (bb != null && (mode == NORMALIZE || mode == DENORMALIZE)) {
            for (int i = 0; i < bb.length; i++) {
                bb[i] = Math.max((float) Math.sqrt(bb[i]), EPSILON);
            }
        }
        this.b = bb;
        this.period = a.length;
    }

    /** One period of a parameter: element {@code i} (row-major over dims) of the broadcast array. */
    private static float[] expand(float[] data, int off, int[] dims, int[] strides) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        int span = 1;
        for (int k = 0; k < dims.length; k++) {
            span += (dims[k] - 1) * strides[k];
        }
        Check.slice(data, off, span, "elementwise layer parameters");
        float[] out = new float[n];
        int[] idx = new int[dims.length];
        for (int i = 0; i < n; i++) {
            int src = off;
            for (int k = 0; k < dims.length; k++) {
                src += idx[k] * strides[k];
            }
            out[i] = data[src];
            for (int k = dims.length - 1; k >= 0; k--) {
                if (++idx[k] < dims[k]) {
                    break;
                }
                idx[k] = 0;
            }
        }
        return out;
    }

    /** {@code y[0, n) = f(x[0, n))}; {@code n} is a multiple of the period. */
    public void forward(float[] x, int n, float[] y) {
        final float[] a = this.a;
        final float[] b = this.b;
        final int p = period;
        for (int base = 0; base < n; base += p) {
            switch (mode) {
                case NORMALIZE:
                    for (int i = 0; i < p; i++) {
                        y[base + i] = (x[base + i] - a[i]) / b[i];
                    }
                    break;
                case DENORMALIZE:
                    for (int i = 0; i < p; i++) {
                        y[base + i] = a[i] + x[base + i] * b[i];
                    }
                    break;
                case AFFINE:
                    for (int i = 0; i < p; i++) {
                        y[base + i] = x[base + i] * a[i] + b[i];
                    }
                    break;
                default:
                    for (int i = 0; i < p; i++) {
                        final float v = x[base + i];
                        y[base + i] = v > 0f ? v : a[i] * v;
                    }
                    break;
            }
        }
    }
}
