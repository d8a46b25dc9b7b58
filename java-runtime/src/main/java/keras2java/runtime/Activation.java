package keras2java.runtime;

/**
 * Keras activation functions in float32, applied to whole arrays.
 *
 * <p>Each function is evaluated in double precision and rounded once to float,
 * so results are within one float ulp of the exact value.  Instances are
 * immutable and safe to share between threads.
 */
public final class Activation {
    public static final int LINEAR = 0;
    public static final int RELU = 1;
    public static final int SIGMOID = 2;
    public static final int TANH = 3;
    /** Keras 1/2 and tf-keras: {@code clip(0.2x + 0.5, 0, 1)}. */
    public static final int HARD_SIGMOID_K2 = 4;
    /** Keras 3: {@code relu6(x + 3) / 6}. */
    public static final int HARD_SIGMOID_K3 = 5;
    public static final int ELU = 6;
    public static final int SELU = 7;
    public static final int SOFTPLUS = 8;
    public static final int SOFTSIGN = 9;
    public static final int EXPONENTIAL = 10;
    public static final int SWISH = 11;
    public static final int GELU = 12;
    public static final int GELU_TANH = 13;
    /** Keras 3 hard_silu / hard_swish: {@code x * relu6(x + 3) / 6}. */
    public static final int HARD_SILU_K3 = 14;
    public static final int MISH = 15;
    public static final int SOFTMAX = 16;
    public static final int LOG_SOFTMAX = 17;
    /** Keras 3 celu: {@code max(x, 0) + alpha * expm1(min(x, 0) / alpha)}. */
    public static final int CELU = 18;
    /** {@code -softplus(-x)}. */
    public static final int LOG_SIGMOID = 19;
    /** {@code clip(x, -1, 1)}. */
    public static final int HARD_TANH = 20;
    /** {@code |x| > threshold ? x : 0}. */
    public static final int HARD_SHRINK = 21;
    /** {@code x - threshold} above threshold, {@code x + threshold} below -threshold, else 0. */
    public static final int SOFT_SHRINK = 22;
    /** {@code x - tanh(x)}. */
    public static final int TANH_SHRINK = 23;
    /** {@code x > threshold ? x : default_value}. */
    public static final int THRESHOLD = 24;
    /** {@code (x + sqrt(x^2 + b)) / 2}, b as alpha. */
    public static final int SQUAREPLUS = 25;
    /** 0 for x <= -1, {@code (x + 1)^2 / 4} below 1, else x. */
    public static final int SPARSE_PLUS = 26;

    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;

    private final int kind;
    private final float alpha;
    private final float maxValue;
    private final float threshold;
    private final float value;

    private Activation(int kind, float alpha, float maxValue, float threshold, float value) {
        if (kind < LINEAR || kind > SPARSE_PLUS) {
            throw new IllegalArgumentException("unknown activation kind " + kind);
        }
        this.kind = kind;
        this.alpha = alpha;
        this.maxValue = maxValue;
        this.threshold = threshold;
        this.value = value;
    }

    private Activation(int kind, float alpha, float maxValue, float threshold) {
        this(kind, alpha, maxValue, threshold, 0f);
    }

    /**
     * An activation with parameters: {@code alpha} (celu alpha, squareplus b), {@code threshold}
     * (threshold, hard_shrink, soft_shrink) and {@code value} (threshold's default_value).
     */
    public static Activation of(int kind, float alpha, float threshold, float value) {
        return new Activation(kind, alpha, Float.POSITIVE_INFINITY, threshold, value);
    }

    /** An activation without parameters. */
    public static Activation of(int kind) {
        final float alpha = kind == ELU || kind == CELU ? 1f : (kind == SQUAREPLUS ? 4f : 0f);
        final float threshold = kind == HARD_SHRINK || kind == SOFT_SHRINK ? 0.5f : 0f;
        return new Activation(kind, alpha, Float.POSITIVE_INFINITY, threshold);
    }

    /** relu with Keras' negative_slope, max_value (+Inf for none) and threshold. */
    public static Activation relu(float negativeSlope, float maxValue, float threshold) {
        return new Activation(RELU, negativeSlope, maxValue, threshold);
    }

    /** elu with the given alpha. */
    public static Activation elu(float alpha) {
        return new Activation(ELU, alpha, Float.POSITIVE_INFINITY, 0f);
    }

    public int kind() {
        return kind;
    }

    /** True for softmax and log_softmax, which work on a whole last axis. */
    public boolean isLastAxis() {
        return kind == SOFTMAX || kind == LOG_SOFTMAX;
    }

    /**
     * Whether {@code f(max(a, b)) == max(f(a), f(b))} bit for bit for every pair of floats,
     * NaN and signed zeros included ({@code Math.max}), so a max pooling may take the activation
     * after its maxima: the identity, and relu without a slope or threshold (the kernels' loop:
     * a max with zero, then a min with max_value, both monotone and exact).
     */
    public boolean commutesWithMax() {
        return kind == LINEAR || (kind == RELU && alpha == 0f && threshold == 0f);
    }

    /** The function at one point.  Not defined for softmax kinds. */
    public float apply(float x) {
        switch (kind) {
            case LINEAR: return x;
            case RELU: return relu(x);
            case SIGMOID: return sigmoid(x);
            case TANH: return tanh(x);
            case HARD_SIGMOID_K2: return hardSigmoidK2(x);
            case HARD_SIGMOID_K3: return hardSigmoidK3(x);
            case ELU: return x > 0f ? x : (float) (alpha * Math.expm1(x));
            case SELU: return (float) (x > 0f ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x));
            case SOFTPLUS: return (float) softplus(x);
            case SOFTSIGN: return x / (Math.abs(x) + 1f);
            case EXPONENTIAL: return (float) Math.exp(x);
            case SWISH: return (float) (x / (1.0 + Math.exp(-(double) x)));
            case GELU: return (float) (0.5 * x * (1.0 + Erf.erf(x / Math.sqrt(2.0))));
            case GELU_TANH: {
                double d = x;
                return (float) (0.5 * d * (1.0 + Math.tanh(0.7978845608028654 * (d + 0.044715 * d * d * d))));
            }
            case HARD_SILU_K3: return x * hardSigmoidK3(x);
            case MISH: return (float) (x * Math.tanh(softplus(x)));
            case CELU: return (float) (Math.max(x, 0.0) + alpha * Math.expm1(Math.min(x, 0.0) / alpha));
            case LOG_SIGMOID: return (float) -softplus(-(double) x);
            case HARD_TANH: return x < -1f ? -1f : (x > 1f ? 1f : x);
            case HARD_SHRINK: return Math.abs(x) > threshold ? x : 0f;
            case SOFT_SHRINK: return x > threshold ? x - threshold : (x < -threshold ? x + threshold : 0f);
            case TANH_SHRINK: return x - tanh(x);
            case THRESHOLD: return x > threshold ? x : value;
            case SQUAREPLUS: return (float) ((x + Math.sqrt((double) x * x + alpha)) / 2.0);
            case SPARSE_PLUS: {
                if (x <= -1f) {
                    return 0f;
                }
                return x < 1f ? (float) (0.25 * ((double) x + 1.0) * ((double) x + 1.0)) : x;
            }
            default:
                throw new IllegalStateException("softmax needs a whole axis; use applyRows");
        }
    }

    private float relu(float x) {
        if (x != x) {
            return x; // NaN stays NaN, as in TensorFlow
        }
        float y;
        if (threshold != 0f) {
            y = x > threshold ? x : 0f;
        } else {
            y = x > 0f ? x : 0f;
        }
        if (y > maxValue) {
            y = maxValue;
        }
        if (alpha != 0f) {
            float neg = threshold - x;
            if (neg > 0f) {
                y -= alpha * neg;
            }
        }
        return y;
    }

    /**
     * tanh as TensorFlow's float kernels compute it (Eigen's
     * {@code generic_fast_tanh_float}, also used by ONNX Runtime's MLAS): a
     * 13/6-degree rational interpolant on [-9, 9] evaluated in float, within
     * 4.2e-7 of the exact tanh everywhere.  Branch-free, so HotSpot vectorizes
     * loops over it.  NaN stays NaN.
     */
    static float tanh(float x) {
        // Math.max/min, not comparisons: the same value for every input (NaN and -0 included), and
        // branch-free, so HotSpot vectorizes loops over it (PortableKernels.lstmGates).
        return tanhOf(Math.max(-9f, Math.min(9f, x)));
    }

    /**
     * {@link #tanh} with the clamp as comparisons: the same value for every input (NaN compares
     * false and stays NaN), for loops too short for HotSpot to vectorize, where a comparison is
     * cheaper than Java's max and min.
     */
    static float tanhShort(float x) {
        return tanhOf(x > 9f ? 9f : (x < -9f ? -9f : x));
    }

    /** The rational interpolant at {@code c}, already clamped to [-9, 9]. */
    private static float tanhOf(float c) {
        final float x2 = c * c;
        float p = x2 * TANH_P0 + TANH_P1;
        p = p * x2 + TANH_P2;
        p = p * x2 + TANH_P3;
        p = p * x2 + TANH_P4;
        p = p * x2 + TANH_P5;
        p = p * x2 + TANH_P6;
        float q = x2 * TANH_Q0 + TANH_Q1;
        q = q * x2 + TANH_Q2;
        q = q * x2 + TANH_Q3;
        return p * c / q;
    }

    // Eigen's coefficients: numerator (odd, highest power first), denominator (even).
    static final float TANH_P0 = -2.76076847742355e-16f;
    static final float TANH_P1 = 2.00018790482477e-13f;
    static final float TANH_P2 = -8.60467152213735e-11f;
    static final float TANH_P3 = 5.12229709037114e-08f;
    static final float TANH_P4 = 1.48572235717979e-05f;
    static final float TANH_P5 = 6.37261928875436e-04f;
    static final float TANH_P6 = 4.89352455891786e-03f;
    static final float TANH_Q0 = 1.19825839466702e-06f;
    static final float TANH_Q1 = 1.18534705686654e-04f;
    static final float TANH_Q2 = 2.26843463243900e-03f;
    static final float TANH_Q3 = 4.89352518554385e-03f;

    /** The logistic function as {@code 0.5 + 0.5 tanh(x / 2)}: within 2.3e-7 of the exact value. */
    static float sigmoid(float x) {
        return 0.5f * tanh(0.5f * x) + 0.5f;
    }

    static float hardSigmoidK2(float x) {
        float y = 0.2f * x + 0.5f;
        return y < 0f ? 0f : (y > 1f ? 1f : y);
    }

    static float hardSigmoidK3(float x) {
        float y = x + 3f;
        y = y < 0f ? 0f : (y > 6f ? 6f : y);
        return y / 6f;
    }

    static double softplus(double x) {
        // log(1 + exp(x)) without overflow
        return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** Applies the function in place to {@code a[off .. off+len)} (elementwise kinds only). */
    public void applyInPlace(float[] a, int off, int len) {
        final int end = off + len;
        switch (kind) {
            case LINEAR:
                return;
            case SIGMOID:
                Kernels.ACTIVE.sigmoid(a, off, len);
                return;
            case TANH:
                Kernels.ACTIVE.tanh(a, off, len);
                return;
            case SOFTMAX:
            case LOG_SOFTMAX:
                applyRows(a, off, 1, len);
                return;
            case RELU:
                if (alpha == 0f && threshold == 0f) {
                    // relu(x) without a slope or threshold: the kernels' loop (apply is too large
                    // to inline, and a call and a mispredicted sign test per value dominated
                    // convolutions)
                    Kernels.ACTIVE.relu(a, off, len, maxValue);
                    return;
                }
                for (int i = off; i < end; i++) {
                    a[i] = relu(a[i]);
                }
                return;
            default:
                for (int i = off; i < end; i++) {
                    a[i] = apply(a[i]);
                }
        }
    }

    /**
     * Applies the activation in place to {@code rows} rows of {@code cols} values;
     * softmax and log_softmax normalize each row (the last axis).
     */
    public void applyRows(float[] a, int off, int rows, int cols) {
        if (!isLastAxis()) {
            applyInPlace(a, off, rows * cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            int base = off + r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, a[base + j]);
            }
            double sum = 0.0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp((double) a[base + j] - max);
            }
            if (kind == SOFTMAX) {
                for (int j = 0; j < cols; j++) {
                    a[base + j] = (float) (Math.exp((double) a[base + j] - max) / sum);
                }
            } else {
                double lse = Math.log(sum);
                for (int j = 0; j < cols; j++) {
                    a[base + j] = (float) ((double) a[base + j] - max - lse);
                }
            }
        }
    }
}
