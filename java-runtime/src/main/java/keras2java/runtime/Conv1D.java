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
    /**
     * Per group: the group's {@code (k * in / groups, filters / groups)} slice of
     * the kernel, whose rows are the taps' input channels in the order
     * {@link #im2col} lays out a group's inputs, with the group's bias when no
     * pointwise step follows.
     */
    private final Linear[] kernel;
    /** SeparableConv1D: the {@code (filters, out)} pointwise matrix with the bias, or null. */
    private final Linear pointwise;
    /** One group, one tap, stride 1: the input rows are the product's rows, no copy needed. */
    private final boolean direct;

    /**
     * @param data         the model's weight array
     * @param kernelOff    offset of the {@code (k, in / groups, filters)} kernel
     * @param biasOff      offset of the bias ({@code out} values), or -1
     * @param pointwiseOff offset of the {@code (filters, out)} pointwise matrix (SeparableConv1D), or -1
     */
    public Conv1D(float[] data, int kernelOff, int biasOff, int pointwiseOff, int k, int in, int filters, int out,
                  int strides, int dilation, int padding, int groups, Activation activation) {
        final int inG = in / groups;
        final int fG = filters / groups;
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
        this.kernel = new Linear[groups];
        for (int g = 0; g < groups; g++) {
            final int b = pointwiseOff >= 0 || biasOff < 0 ? -1 : biasOff + g * fG;
            kernel[g] = new Linear(data, kernelOff + g * fG, filters, k * inG, fG, b);
        }
        this.pointwise = pointwiseOff >= 0 ? new Linear(data, pointwiseOff, filters, out, biasOff) : null;
        this.direct = groups == 1 && k == 1 && strides == 1;
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

    /** Floats of workspace {@link #forward} needs for {@code outSteps} output steps. */
    public int workspaceSize(int outSteps) {
        final int cols = k * (in / groups);
        return (pointwise != null ? outSteps * filters : 0) + (direct ? 0 : outSteps * cols)
                + (groups > 1 ? outSteps * (filters / groups) : 0);
    }

    /**
     * {@code y[0 .. outSteps*out)} = the layer applied to {@code steps} rows of
     * {@code x}: per group, the input windows as rows (im2col) times the
     * group's kernel, then the pointwise matrix (SeparableConv1D) and the
     * activation.
     *
     * @param ws workspace of at least {@code workspaceSize(outSteps)} floats from {@code wsOff}
     */
    public void forward(float[] x, int steps, float[] y, int outSteps, float[] ws, int wsOff) {
        forwardBatch(x, 1, steps, y, outSteps, ws, wsOff);
    }

    /**
     * {@link #forward} on {@code nb} sequences of {@code steps} rows one after the other in
     * {@code x}, their outputs one after the other in {@code y}: the windows of all sequences
     * are the rows of one matrix product (each row computed as alone, so a sequence gets the
     * bits of {@link #forward}).
     *
     * @param ws workspace of at least {@code workspaceSize(nb * outSteps)} floats from {@code wsOff}
     */
    public void forwardBatch(float[] x, int nb, int steps, float[] y, int outSteps, float[] ws, int wsOff) {
        final int rows = nb * outSteps;
        final int span = dilation * (k - 1) + 1;
        final int pad = padBefore(steps, outSteps, span, strides, padding);
        final int fG = filters / groups;
        final int cols = k * (in / groups);
        // Workspace: the pointwise step's input (rows x filters, SeparableConv1D), the input
        // windows of one group (rows x cols, im2col), one group's output (rows x fG, groups > 1).
        final int mid = wsOff;
        final int win = mid + (pointwise != null ? rows * filters : 0);
        final int part = win + (direct ? 0 : rows * cols);
        final float[] conv = pointwise != null ? ws : y;
        final int convOff = pointwise != null ? mid : 0;
        final float[] src = direct ? x : ws;
        final int srcOff = direct ? 0 : win;
        for (int g = 0; g < groups; g++) {
            if (!direct) {
                for (int b = 0; b < nb; b++) {
                    im2col(x, b * steps * in, steps, g, pad, outSteps, ws, win + b * outSteps * cols);
                }
            }
            if (groups == 1) {
                kernel[0].forward(src, srcOff, rows, conv, convOff);
            } else {
                kernel[g].forward(src, srcOff, rows, ws, part);
                for (int t = 0; t < rows; t++) {
                    System.arraycopy(ws, part + t * fG, conv, convOff + t * filters + g * fG, fG);
                }
            }
        }
        if (pointwise != null) {
            pointwise.forward(ws, mid, rows, y, 0);
        }
        activation.applyRows(y, 0, rows, out);
    }

    /**
     * Row t of {@code (outSteps, k * in / groups)} at {@code rows[off..]}: group
     * g's input channels at each tap of output step t, zeros where a tap falls
     * in the padding.
     */
    private void im2col(float[] x, int xOff, int steps, int g, int pad, int outSteps, float[] rows, int off) {
        final int inG = in / groups;
        final int cols = k * inG;
        for (int t = 0; t < outSteps; t++) {
            for (int j = 0; j < k; j++) {
                final int s = t * strides - pad + j * dilation;
                final int d = off + t * cols + j * inG;
                if (s < 0 || s >= steps) {
                    java.util.Arrays.fill(rows, d, d + inG, 0f);
                } else {
                    System.arraycopy(x, xOff + s * in + g * inG, rows, d, inG);
                }
            }
        }
    }
}
