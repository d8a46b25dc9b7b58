package keras2java.runtime;

/**
 * Keras Conv2DTranspose and Conv1DTranspose (a 1-D input is an image of width
 * 1) on {@code images} channels-last images in a row: TensorFlow's
 * {@code conv_transpose}, the gradient of the convolution that maps the
 * output back to the input.  Each block of input pixels is multiplied with
 * the {@code (in, kh * kw * filters)} matrix through {@link Linear} into the
 * workspace, and every tap's row is added at its output position (col2im).
 * Immutable.
 */
public final class ConvTranspose {
    public static final int VALID = 0;
    public static final int SAME = 1;

    private final int kh;
    private final int kw;
    private final int in;
    private final int w;
    private final int outW;
    private final int filters;
    private final int sh;
    private final int sw;
    private final int dh;
    private final int dw;
    private final int padding;
    /** Input image rows per block. */
    private final int block;
    private final Linear taps;
    private final float[] bias;
    private final Activation activation;

    /**
     * @param kernelOff offset of the {@code (in, kh * kw * filters)} matrix
     * @param biasOff   offset of the bias ({@code filters} values), or -1
     */
    public ConvTranspose(float[] data, int kernelOff, int biasOff, int kh, int kw, int in, int w, int outW,
                         int filters, int sh, int sw, int dh, int dw, int padding, int block, Activation activation) {
        this.kh = kh;
        this.kw = kw;
        this.in = in;
        this.w = w;
        this.outW = outW;
        this.filters = filters;
        this.sh = sh;
        this.sw = sw;
        this.dh = dh;
        this.dw = dw;
        this.padding = padding;
        this.block = block;
        this.activation = activation;
        this.taps = new Linear(data, kernelOff, in, kh * kw * filters, -1);
        this.bias = biasOff < 0 ? null : java.util.Arrays.copyOfRange(data, biasOff, biasOff + filters);
    }

    /** Output size along one axis of {@code n} ({@code outputPadding < 0}: none), as Keras computes it. */
    public static int outSize(int n, int kernel, int strides, int dilation, int padding, int outputPadding) {
        final int span = dilation * (kernel - 1) + 1;
        if (padding == VALID) {
            return (n - 1) * strides + span + (outputPadding < 0 ? Math.max(span, strides) - span : outputPadding);
        }
        return outputPadding < 0 ? n * strides : (n - 1) * strides + span % 2 + outputPadding;
    }

    public static int workspaceSize(int block, int w, int kh, int kw, int filters) {
        return block * w * kh * kw * filters;
    }

    /** {@code y} = the layer applied to {@code images} images of {@code h} rows; outputs have {@code outH} rows. */
    public void forward(float[] x, int images, int h, float[] y, int outH, float[] ws) {
        forward(x, images, h, w, y, outH, outW, ws);
    }

    /**
     * The same on images of a width known at run time only: {@code w} input and {@code outW}
     * output columns (the workspace holds {@code workspaceSize(block, w, ...)} floats).
     */
    public void forward(float[] x, int images, int h, int w, float[] y, int outH, int outW, float[] ws) {
        final int spanH = dh * (kh - 1) + 1;
        final int spanW = dw * (kw - 1) + 1;
        final int padT = padding == SAME ? Math.max((h - 1) * sh + spanH - outH, 0) / 2 : 0;
        final int padL = padding == SAME ? Math.max((w - 1) * sw + spanW - outW, 0) / 2 : 0;
        final int row = kh * kw * filters;
        for (int img = 0; img < images; img++) {
            final int xb = img * h * w * in;
            final int yb = img * outH * outW * filters;
            if (bias == null) {
                java.util.Arrays.fill(y, yb, yb + outH * outW * filters, 0f);
            } else {
                for (int p = 0; p < outH * outW; p++) {
                    System.arraycopy(bias, 0, y, yb + p * filters, filters);
                }
            }
            for (int r0 = 0; r0 < h; r0 += block) {
                final int rows = Math.min(block, h - r0);
                taps.forward(x, xb + r0 * w * in, rows * w, ws, 0);
                int t = 0;
                for (int iy = r0; iy < r0 + rows; iy++) {
                    for (int ix = 0; ix < w; ix++) {
                        for (int i = 0; i < kh; i++) {
                            final int oy = iy * sh - padT + i * dh;
                            for (int j = 0; j < kw; j++) {
                                final int ox = ix * sw - padL + j * dw;
                                if (oy >= 0 && oy < outH && ox >= 0 && ox < outW) {
                                    final int yo = yb + (oy * outW + ox) * filters;
                                    for (int f = 0; f < filters; f++) {
                                        y[yo + f] += ws[t + f];
                                    }
                                }
                                t += filters;
                            }
                        }
                    }
                }
            }
        }
        activation.applyRows(y, 0, images * outH * outW, filters);
    }
}
