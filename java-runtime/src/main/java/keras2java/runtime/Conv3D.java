package keras2java.runtime;

/**
 * Keras Conv3D on {@code (depth, height, width, channels)} volumes, channels
 * last, for {@code images} volumes in a row (TimeDistributed frames).  As
 * {@link Conv2D}: each group's patches are gathered into the workspace
 * (im2col), a block of output rows (one row: the {@code outW} pixels of one
 * output depth and height) at a time, and multiplied with the group's
 * {@code (kd * kh * kw * in / groups, filters / groups)} matrix through
 * {@link Linear}.  Padding follows TensorFlow: {@code same} pads
 * {@code total / 2} before and the rest after.  Immutable; scratch space
 * comes from the caller's workspace.
 */
public final class Conv3D implements FrameConv {
    public static final int VALID = 0;
    public static final int SAME = 1;

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
    private final int groups;
    private final int inG;
    private final int fG;
    /** Output rows per im2col block. */
    private final int block;
    private final Linear[] group;
    private final Activation activation;
    /** 1x1x1 kernel, stride 1, one group: the input pixels are already the patch matrix. */
    private final boolean direct;

    /**
     * @param kernelOff offset of the kernel: {@code groups} matrices of {@code (kd*kh*kw*in/groups, filters/groups)}
     * @param biasOff   offset of the bias ({@code filters} values), or -1
     * @param block     output rows per im2col block (sizes the workspace)
     */
    public Conv3D(float[] data, int kernelOff, int biasOff, int kd, int kh, int kw, int in, int h, int w,
                  int filters, int sd, int sh, int sw, int dd, int dh, int dw, int padding, int groups, int block,
                  Activation activation) {
        this.kd = kd;
        this.kh = kh;
        this.kw = kw;
        this.in = in;
        this.h = h;
        this.w = w;
        this.filters = filters;
        this.sd = sd;
        this.sh = sh;
        this.sw = sw;
        this.dd = dd;
        this.dh = dh;
        this.dw = dw;
        this.padding = padding;
        this.groups = groups;
        this.inG = in / groups;
        this.fG = filters / groups;
        this.block = block;
        this.activation = activation;
        this.outH = Conv2D.outSize(h, kh, sh, dh, padding, "Conv3D height");
        this.outW = Conv2D.outSize(w, kw, sw, dw, padding, "Conv3D width");
        final int k = kd * kh * kw * inG;
        Check.slice(data, kernelOff, groups * k * fG, "Conv3D kernel");
        this.group = new Linear[groups];
        for (int g = 0; g < groups; g++) {
            group[g] = new Linear(data, kernelOff + g * k * fG, k, fG, biasOff >= 0 ? biasOff + g * fG : -1);
        }
        this.direct = kd == 1 && kh == 1 && kw == 1 && sd == 1 && sh == 1 && sw == 1 && groups == 1;
    }

    /** Workspace floats {@link #forward} needs. */
    public static int workspaceSize(int block, int outW, int kd, int kh, int kw, int in, int filters, int groups) {
        final int rows = block * outW;
        return rows * kd * kh * kw * (in / groups) + (groups > 1 ? rows * (filters / groups) : 0);
    }

    /**
     * {@code y} = the layer applied to {@code images} volumes of depth {@code d} at {@code x};
     * each output volume has depth {@code outD}.
     */
    public void forward(float[] x, int images, int d, float[] y, int outD, float[] ws) {
        forward(x, 0, images, d, y, 0, outD, ws, 0);
    }

    @Override
    public void forward(float[] x, int xOff, int images, int d, float[] y, int yOff, int outD, float[] ws,
                        int wsOff) {
        final int padF = Conv2D.padBefore(d, outD, dd * (kd - 1) + 1, sd, padding);
        final int padT = Conv2D.padBefore(h, outH, dh * (kh - 1) + 1, sh, padding);
        final int padL = Conv2D.padBefore(w, outW, dw * (kw - 1) + 1, sw, padding);
        final int k = kd * kh * kw * inG;
        final int groupArea = wsOff + block * outW * k;
        final int rowsAll = outD * outH;
        for (int img = 0; img < images; img++) {
            final int xb = xOff + img * d * h * w * in;
            final int yb = yOff + img * rowsAll * outW * filters;
            if (direct) {
                group[0].forward(x, xb, rowsAll * outW, y, yb);
                activation.applyRows(y, yb, rowsAll * outW, filters);
                continue;
            }
            for (int r0 = 0; r0 < rowsAll; r0 += block) {
                final int rows = Math.min(block, rowsAll - r0);
                final int n = rows * outW;
                final int yo = yb + r0 * outW * filters;
                for (int g = 0; g < groups; g++) {
                    im2col(x, xb, d, r0, rows, g, padF, padT, padL, ws, wsOff);
                    if (groups == 1) {
                        group[0].forward(ws, wsOff, n, y, yo);
                    } else {
                        group[g].forward(ws, wsOff, n, ws, groupArea);
                        for (int p = 0; p < n; p++) {
                            System.arraycopy(ws, groupArea + p * fG, y, yo + p * filters + g * fG, fG);
                        }
                    }
                }
                activation.applyRows(y, yo, n, filters);
            }
        }
    }

    /** The patches of output rows {@code r0 .. r0+rows) for group {@code g}: one row of {@code kd*kh*kw*inG} per pixel. */
    private void im2col(float[] x, int xb, int d, int r0, int rows, int g, int padF, int padT, int padL, float[] col,
                        int colOff) {
        int p = colOff;
        final int c0 = g * inG;
        final boolean run = dw == 1 && groups == 1;
        final int plane = kh * kw * inG;
        for (int r = r0; r < r0 + rows; r++) {
            final int oz = r / outH;
            final int oy = r - oz * outH;
            for (int ox = 0; ox < outW; ox++) {
                final int ix0 = ox * sw - padL;
                for (int a = 0; a < kd; a++) {
                    final int iz = oz * sd - padF + a * dd;
                    if (iz < 0 || iz >= d) {
                        java.util.Arrays.fill(col, p, p + plane, 0f);
                        p += plane;
                        continue;
                    }
                    for (int i = 0; i < kh; i++) {
                        final int iy = oy * sh - padT + i * dh;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(col, p, p + kw * inG, 0f);
                            p += kw * inG;
                            continue;
                        }
                        final int rowBase = xb + (iz * h + iy) * w * in + c0;
                        if (run && ix0 >= 0 && ix0 + kw <= w) {
                            // the kernel row's pixels are adjacent: one copy of kw * in values
                            System.arraycopy(x, rowBase + ix0 * in, col, p, kw * in);
                            p += kw * in;
                            continue;
                        }
                        for (int j = 0; j < kw; j++) {
                            final int ix = ix0 + j * dw;
                            if (ix < 0 || ix >= w) {
                                java.util.Arrays.fill(col, p, p + inG, 0f);
                            } else {
                                System.arraycopy(x, rowBase + ix * in, col, p, inG);
                            }
                            p += inG;
                        }
                    }
                }
            }
        }
    }
}
