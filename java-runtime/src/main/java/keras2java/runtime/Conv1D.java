package keras2java.runtime;

/**
 * Keras Conv1D, DepthwiseConv1D and SeparableConv1D on {@code (steps, channels)}
 * rows, channels last.  Padding follows TensorFlow: {@code same} pads
 * {@code total / 2} steps before and the rest after; {@code causal} pads
 * {@code dilation * (kernel - 1)} steps before.  Immutable.
 */
public final class Conv1D {
    public static final int VALID = 0;
    public static final int SAME = 1;
    public static final int CAUSAL = 2;

    private final int k;
    private final int in;
    private final int filters;
    private final int out;
    private final int strides;
    private final int dilation;
    private final int padding;
    private final int groups;
    private final Activation activation;
    /** kernel[j][c] = the weights from input channel c at tap j to the group's filters. */
    private final float[][][] kernel;
    private final float[] bias;
    private final float[][] pointwise;

    /**
     * @param data         the model's weight array
     * @param kernelOff    offset of the {@code (k, in / groups, filters)} kernel
     * @param biasOff      offset of the bias ({@code out} values), or -1
     * @param pointwiseOff offset of the {@code (filters, out)} pointwise matrix (SeparableConv1D), or -1
     */
    public Conv1D(float[] data, int kernelOff, int biasOff, int pointwiseOff, int k, int in, int filters, int out,
                  int strides, int dilation, int padding, int groups, Activation activation) {
        int inG = in / groups;
        Check.slice(data, kernelOff, k * inG * filters, "Conv1D kernel");
        this.k = k;
        this.in = in;
        this.filters = filters;
        this.out = out;
        this.strides = strides;
        this.dilation = dilation;
        this.padding = padding;
        this.groups = groups;
        this.activation = activation;
        this.kernel = new float[k][][];
        for (int j = 0; j < k; j++) {
            kernel[j] = MatMul.rows(data, kernelOff + j * inG * filters, inG, filters);
        }
        this.bias = MatMul.bias(data, biasOff, out);
        this.pointwise = pointwiseOff >= 0 ? MatMul.rows(data, pointwiseOff, filters, out) : null;
    }

    /** The number of output steps for {@code steps} input steps; rejects inputs that are too short. */
    public static int outSteps(int steps, int kernel, int strides, int dilation, int padding, String layer) {
        int span = dilation * (kernel - 1) + 1;
        if (padding != VALID) {
            return (steps + strides - 1) / strides;
        }
        if (steps < span) {
            throw new IllegalArgumentException(layer + " needs at least " + span + " timesteps, got " + steps);
        }
        return (steps - span) / strides + 1;
    }

    /** Steps of padding before the first input step (TensorFlow's rule). */
    static int padBefore(int steps, int outSteps, int span, int strides, int padding) {
        if (padding == CAUSAL) {
            return span - 1;
        }
        if (padding == SAME) {
            return Math.max((outSteps - 1) * strides + span - steps, 0) / 2;
        }
        return 0;
    }

    /** {@code y[0 .. outSteps*out)} = the layer applied to {@code steps} rows of {@code x}. */
    public void forward(float[] x, int steps, float[] y, int outSteps) {
        final int inG = in / groups;
        final int fG = filters / groups;
        final int span = dilation * (k - 1) + 1;
        final int pad = padBefore(steps, outSteps, span, strides, padding);
        final float[] acc = pointwise != null ? new float[filters] : null;
        for (int t = 0; t < outSteps; t++) {
            final float[] row = acc != null ? acc : y;
            final int base = acc != null ? 0 : t * out;
            if (acc != null || bias == null) {
                java.util.Arrays.fill(row, base, base + filters, 0f);
            } else {
                System.arraycopy(bias, 0, row, base, filters);
            }
            for (int j = 0; j < k; j++) {
                final int s = t * strides - pad + j * dilation;
                if (s < 0 || s >= steps) {
                    continue;
                }
                final float[][] w = kernel[j];
                for (int g = 0; g < groups; g++) {
                    final int f0 = base + g * fG;
                    for (int c = 0; c < inG; c++) {
                        final float v = x[s * in + g * inG + c];
                        final float[] wr = w[c];
                        final int w0 = g * fG;
                        for (int f = 0; f < fG; f++) {
                            row[f0 + f] += v * wr[w0 + f];
                        }
                    }
                }
            }
            if (acc != null) {
                final int yb = t * out;
                if (bias == null) {
                    java.util.Arrays.fill(y, yb, yb + out, 0f);
                } else {
                    System.arraycopy(bias, 0, y, yb, out);
                }
                for (int c = 0; c < filters; c++) {
                    final float v = acc[c];
                    final float[] wr = pointwise[c];
                    for (int f = 0; f < out; f++) {
                        y[yb + f] += v * wr[f];
                    }
                }
            }
        }
        activation.applyRows(y, 0, outSteps, out);
    }
}
