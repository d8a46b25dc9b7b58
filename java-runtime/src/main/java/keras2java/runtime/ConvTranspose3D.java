package keras2java.runtime;

/**
 * Keras Conv3DTranspose on {@code images} channels-last volumes in a row:
 * TensorFlow's {@code conv3d_transpose}, as {@link ConvTranspose} does it in
 * 2-D.  Each block of input rows (one row: the {@code w} pixels of one input
 * depth and height) is multiplied with the {@code (in, kd * kh * kw * filters)}
 * matrix through {@link Linear} into the workspace, and every tap's values are
 * added at its output position (col2im).  Immutable.
 */
public final class ConvTranspose3D {
    private final int kd;
    private final int kh;
    private final int kw;
    private final int in;
    private final int h;
    private final int w;
    private final int outH;
    private final int outW;
    private final int filters;
    private final int sd;
    private final int sh;
    private final int sw;
    private final int dd;
    private final int dh;
    private final int dw;
    private final int padding;
    /** Input rows per block. */
    private final int block;
    private final Linear taps;
    private final float[] bias;
    private final Activation activation;

    /**
     * @param kernelOff offset of the {@code (in, kd * kh * kw * filters)} matrix
     * @param biasOff   offset of the bias ({@code filters} values), or -1
     * @param padding   {@link ConvTranspose#VALID} or {@link ConvTranspose#SAME}
     */
    public ConvTranspose3D(float[] data, int kernelOff, int biasOff, int kd, int kh, int kw, int in, int h, int w,
                           int outH, int outW, int filters, int sd, int sh, int sw, int dd, int dh, int dw,
                           int padding, int block, Activation activation) {
        this.kd = kd;
        this.kh = kh;
        this.kw = kw;
        this.in = in;
        this.h = h;
        this.w = w;
        this.outH = outH;
        this.outW = outW;
        this.filters = filters;
        this.sd = sd;
        this.sh = sh;
        this.sw = sw;
        this.dd = dd;
        this.dh = dh;
        this.dw = dw;
        this.padding = padding;
        this.block = block;
        this.activation = activation;
        this.taps = new Linear(data, kernelOff, in, kd * kh * kw * filters, -1);
        if (biasOff >= 0) {
            Check.slice(data, biasOff, filters, "Conv3DTranspose bias");
        }
        this.bias = biasOff < 0 ? null : java.util.Arrays.copyOfRange(data, biasOff, biasOff + filters);
    }

    public static int workspaceSize(int block, int w, int kd, int kh, int kw, int filters) {
        return block * w * kd * kh * kw * filters;
    }

    private static int padBefore(int n, int outN, int kernel, int strides, int dilation, int padding) {
        final int span = dilation * (kernel - 1) + 1;
        return padding == ConvTranspose.SAME ? Math.max((n - 1) * strides + span - outN, 0) / 2 : 0;
    }

    /** {@code y} = the layer applied to {@code images} volumes of depth {@code d}; outputs have depth {@code outD}. */
    public void forward(float[] x, int images, int d, float[] y, int outD, float[] ws) {
        final int padF = padBefore(d, outD, kd, sd, dd, padding);
        final int padT = padBefore(h, outH, kh, sh, dh, padding);
        final int padL = padBefore(w, outW, kw, sw, dw, padding);
        final int outPixels = outD * outH * outW;
        final int rowsAll = d * h;
        for (int img = 0; img < images; img++) {
            final int xb = img * rowsAll * w * in;
            final int yb = img * outPixels * filters;
            if (bias == null) {
                java.util.Arrays.fill(y, yb, yb + outPixels * filters, 0f);
            } else {
                for (int p = 0; p < outPixels; p++) {
                    System.arraycopy(bias, 0, y, yb + p * filters, filters);
                }
            }
            for (int r0 = 0; r0 < rowsAll; r0 += block) {
                final int rows = Math.min(block, rowsAll - r0);
                taps.forward(x, xb + r0 * w * in, rows * w, ws, 0);
                int t = 0;
                for (int r = r0; r < r0 + rows; r++) {
                    final int iz = r / h;
                    final int iy = r - iz * h;
                    for (int ix = 0; ix < w; ix++) {
                        for (int a = 0; a < kd; a++) {
                            final int oz = iz * sd - padF + a * dd;
                            for (int i = 0; i < kh; i++) {
                                final int oy = iy * sh - padT + i * dh;
                                final boolean inside = oz >= 0 && oz < outD && oy >= 0 && oy < outH;
                                for (int j = 0; j < kw; j++) {
                                    final int ox = ix * sw - padL + j * dw;
                                    if (inside && ox >= 0 && ox < outW) {
                                        final int yo = yb + ((oz * outH + oy) * outW + ox) * filters;
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
        }
        activation.applyRows(y, 0, images * outPixels, filters);
    }
}
