package keras2java.runtime;

/**
 * Keras Conv2D, DepthwiseConv2D and SeparableConv2D on {@code (height, width,
 * channels)} images, channels last, for {@code images} images in a row
 * (TimeDistributed frames).  Each group's patches are gathered into the
 * workspace (im2col), a block of output rows at a time, and multiplied with
 * the group's {@code (kh * kw * in / groups, filters / groups)} matrix through
 * {@link Linear}, so the active matrix kernels do the arithmetic.  Padding
 * follows TensorFlow: {@code same} pads {@code total / 2} before and the rest
 * after.  Immutable; scratch space comes from the caller's workspace.
 */
public final class Conv2D implements FrameConv {
    public static final int VALID = 0;
    public static final int SAME = 1;

    private final int kh;
    private final int kw;
    private final int in;
    private final int w;
    private final int outW;
    private final int filters;
    private final int out;
    private final int sh;
    private final int sw;
    private final int dh;
    private final int dw;
    private final int padding;
    private final int groups;
    private final int inG;
    private final int fG;
    /** Output image rows per im2col block. */
    private final int block;
    private final Linear[] group;
    private final Linear pointwise;
    private final Activation activation;
    /** 1x1 kernel, stride 1, one group: the input rows are already the patch matrix. */
    private final boolean direct;
    /**
     * One {@code (kw * in, filters)} matrix per kernel row, when the layer multiplies input rows
     * in place instead of gathering patches ({@link #forwardRows}); else null (and {@link #group}
     * holds the matrices).
     */
    private final Linear[] kernelRows;
    /**
     * The product of transposed patches ({@link #forwardTransposed}, {@link #forwardPooled}): the
     * one group's matrix without a pointwise step; with {@link #kernelRows}, a copy of the kernel
     * for {@link #forwardPooled} alone where the kernels have one ({@link Kernels#transposesPatches});
     * else null.
     */
    private final Linear patchProduct;
    /** The bias ({@code out} values, zeros without one) that {@link #forwardRows} starts from. */
    private final float[] rowBias;

    /**
     * @param kernelOff    offset of the kernel: {@code groups} matrices of {@code (kh*kw*in/groups, filters/groups)}
     * @param biasOff      offset of the bias ({@code out} values), or -1
     * @param pointwiseOff offset of the {@code (filters, out)} pointwise matrix (SeparableConv2D), or -1
     * @param block        output image rows per im2col block (sizes the workspace)
     */
    public Conv2D(float[] data, int kernelOff, int biasOff, int pointwiseOff, int kh, int kw, int in, int w,
                  int filters, int out, int sh, int sw, int dh, int dw, int padding, int groups, int block,
                  Activation activation) {
        this.kh = kh;
        this.kw = kw;
        this.in = in;
        this.w = w;
        this.filters = filters;
        this.out = out;
        this.sh = sh;
        this.sw = sw;
        this.dh = dh;
        this.dw = dw;
        this.padding = padding;
        this.groups = groups;
        this.inG = in / groups;
        this.fG = filters / groups;
        this.block = block;
        this.activation = activation;
        this.outW = outSize(w, kw, sw, dw, padding, "Conv2D width");
        final int k = kh * kw * inG;
        Check.slice(data, kernelOff, groups * k * fG, "Conv2D kernel");
        this.direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && groups == 1;
        final boolean rows = !direct && groups == 1 && pointwiseOff < 0 && dw == 1
                && Kernels.ACTIVE.multipliesInPlace();
        if (rows) {
            this.group = null;
            this.kernelRows = new Linear[kh];
            for (int i = 0; i < kh; i++) {
                kernelRows[i] = new Linear(data, kernelOff + i * kw * in * filters, filters, kw * in, filters, -1);
            }
            this.rowBias = new float[filters];
            if (biasOff >= 0) {
                Check.slice(data, biasOff, filters, "Conv2D bias");
                System.arraycopy(data, biasOff, rowBias, 0, filters);
            }
            // not for more than Linear.LONG inputs, whose product goes in slices where the kernel
            // rows add all their inputs to one running sum: the pass with the pooling must give the
            // bits of the layer
            this.patchProduct = k <= Linear.LONG && Kernels.ACTIVE.transposesPatches(Integer.MAX_VALUE, k, filters)
                    ? Linear.patches(data, kernelOff, k, filters, biasOff) : null;
        } else {
            this.kernelRows = null;
            this.rowBias = null;
            this.group = new Linear[groups];
            final boolean biasHere = pointwiseOff < 0;
            for (int g = 0; g < groups; g++) {
                group[g] = new Linear(data, kernelOff + g * k * fG, k, fG,
                        biasHere && biasOff >= 0 ? biasOff + g * fG : -1);
            }
            this.patchProduct = groups == 1 && biasHere ? group[0] : null;
        }
        this.pointwise = pointwiseOff >= 0 ? new Linear(data, pointwiseOff, filters, out, biasOff) : null;
    }

    /** The output size along one axis of {@code n}; rejects inputs smaller than a valid kernel. */
    public static int outSize(int n, int kernel, int strides, int dilation, int padding, String layer) {
        final int span = dilation * (kernel - 1) + 1;
        if (padding != VALID) {
            return (n + strides - 1) / strides;
        }
        if (n < span) {
            throw new IllegalArgumentException(layer + " needs at least " + span + " rows, got " + n);
        }
        return (n - span) / strides + 1;
    }

    static int padBefore(int n, int outN, int span, int strides, int padding) {
        return padding == SAME ? Math.max((outN - 1) * strides + span - n, 0) / 2 : 0;
    }

    /** Workspace floats {@link #forward} needs. */
    public static int workspaceSize(int block, int outW, int kh, int kw, int in, int filters, int groups,
                                    boolean separable) {
        final int rows = block * outW;
        int size = rows * kh * kw * (in / groups);
        if (groups > 1) {
            size += rows * (filters / groups);
        }
        if (separable) {
            size += rows * filters;
        }
        return size;
    }

    /**
     * {@code y} = the layer applied to {@code images} images of {@code h} rows at {@code x};
     * each output image has {@code outH} rows.
     */
    public void forward(float[] x, int images, int h, float[] y, int outH, float[] ws) {
        forward(x, 0, images, h, y, 0, outH, ws, 0);
    }

    /**
     * {@link #forward(float[], int, int, float[], int, float[])} with the input, the output or both
     * as channel planes instead of channels last: an image's {@code in} (or {@code out}) planes of
     * {@code h * w} values each, one after the other (the image's values in channel-major order).
     * A frame-by-frame chain passes planes from one convolution straight to the next where
     * {@link #planes(Conv2D, int, Conv2D, int)} says both layers work on planes: no scatter of
     * the outputs into channels-last rows and no copy of the inputs into planes.  The same
     * values as channels last.
     *
     * @throws IllegalStateException where {@link #planes(int)} is false and a flag is set
     */
    public void forward(float[] x, int images, int h, float[] y, int outH, float[] ws, boolean planesIn,
                        boolean planesOut) {
        if ((planesIn || planesOut) && !planes(h)) {
            throw new IllegalStateException("Conv2D: channel planes only where planes(" + h + ") is true");
        }
        forwardSized(x, 0, images, h, w, outW, y, 0, outH, ws, 0, planesIn, planesOut);
    }

    /**
     * Whether this layer, on images of {@code h} rows, works on channel planes (see
     * {@link #forward(float[], int, int, float[], int, float[], boolean, boolean)}): where the
     * active kernels multiply transposed rows ({@link Kernels#transposes}) and the activation acts
     * on each value alone.  False for the vector kernels, which multiply channels-last rows in
     * place.
     */
    public boolean planes(int h) {
        return kernelRows == null && !direct && !activation.isLastAxis()
                && transposed(outSize(h, kh, sh, dh, padding, "Conv2D") * outW);
    }

    /** Whether {@code from}, on images of {@code fromH} rows, and {@code to}, on {@code toH} rows, both work on planes. */
    public static boolean planes(Conv2D from, int fromH, Conv2D to, int toH) {
        return from.planes(fromH) && to.planes(toH);
    }

    /**
     * {@link #planes(Conv2D, int, Conv2D, int)} where an end may be a layer merged with its max
     * pooling ({@code fromPooled}, {@code toPooled}: its {@link #forwardPooled} works on planes
     * where {@link #pooled} holds).
     */
    public static boolean planes(Conv2D from, int fromH, boolean fromPooled, Conv2D to, int toH, boolean toPooled) {
        return planesOut(from, fromH, fromPooled) && (toPooled ? to.pooled(toH) : to.planes(toH));
    }

    /**
     * Whether {@code from} (merged with its max pooling where {@code fromPooled}), on images of
     * {@code fromH} rows, writes channel planes to a reader that takes them whenever it is
     * given them ({@link Image2D#global(int, float[], int, int, int, float[], boolean)}).
     */
    public static boolean planesOut(Conv2D from, int fromH, boolean fromPooled) {
        return fromPooled ? from.pooled(fromH) : from.planes(fromH);
    }

    /**
     * {@link #forward(float[], int, int, float[], int, float[])} on images of {@code w} columns
     * (the width the layer was built with is unused: images of any width).
     */
    public void forward(float[] x, int images, int h, int w, float[] y, int outH, float[] ws) {
        forwardSized(x, 0, images, h, w, outSize(w, kw, sw, dw, padding, "Conv2D width"), y, 0, outH, ws, 0, false,
                false);
    }

    /** {@link #forward(float[], int, int, float[], int, float[])} at offsets of the arrays. */
    @Override
    public void forward(float[] x, int xOff, int images, int h, float[] y, int yOff, int outH, float[] ws, int wsOff) {
        forwardSized(x, xOff, images, h, w, outW, y, yOff, outH, ws, wsOff, false, false);
    }

    private void forwardSized(float[] x, int xOff, int images, int h, int w, int outW, float[] y, int yOff, int outH,
                              float[] ws, int wsOff, boolean planesIn, boolean planesOut) {
        final int spanH = dh * (kh - 1) + 1;
        final int spanW = dw * (kw - 1) + 1;
        final int padT = padBefore(h, outH, spanH, sh, padding);
        final int padL = padBefore(w, outW, spanW, sw, padding);
        if (IntraOp.THREADS > 1 && forwardShared(x, xOff, images, h, w, outW, y, yOff, outH, padT, padL, ws, wsOff,
                planesIn, planesOut)) {
            return;
        }
        final int k = kh * kw * inG;
        if (images > 1 && kernelRows == null && !direct && transposed(outH * outW)) {
            // small images: several in one chunk of the transposed product
            final int per = Kernels.ACTIVE.transposedRowsMax(k) / (outH * outW);
            if (per > 1) {
                for (int img = 0; img < images; img += per) {
                    forwardImages(x, xOff + img * h * w * in, Math.min(per, images - img), h, w, outW, y,
                            yOff + img * outH * outW * out, outH, padT, padL, planesIn, planesOut);
                }
                return;
            }
        }
        final int colArea = wsOff + block * outW * k;
        final int groupArea = groups > 1 ? block * outW * fG : 0;
        final int sepOff = colArea + groupArea;
        for (int img = 0; img < images; img++) {
            final int xb = xOff + img * h * w * in;
            final int yb = yOff + img * outH * outW * out;
            if (direct && pointwise == null) {
                group[0].forward(x, xb, outH * outW, y, yb);
                activation.applyRows(y, yb, outH * outW, out);
                continue;
            }
            if (kernelRows != null) {
                forwardRows(x, xb, h, w, outW, y, yb, outH, padT, padL, ws, wsOff, 0, outH);
                continue;
            }
            if (transposed(outH * outW)) {
                forwardTransposed(x, xb, h, w, outW, y, yb, outH, padT, padL, 0, Integer.MAX_VALUE, false, planesIn,
                        planesOut);
                continue;
            }
            for (int r0 = 0; r0 < outH; r0 += block) {
                final int rows = Math.min(block, outH - r0);
                final int n = rows * outW;
                for (int g = 0; g < groups; g++) {
                    final float[] src;
                    final int srcOff;
                    if (direct) {
                        src = x;
                        srcOff = xb + r0 * outW * in;
                    } else {
                        im2col(x, xb, h, w, outW, r0, rows, g, padT, padL, ws, wsOff);
                        src = ws;
                        srcOff = wsOff;
                    }
                    if (groups == 1) {
                        if (pointwise == null) {
                            group[0].forward(src, srcOff, n, y, yb + r0 * outW * out);
                        } else {
                            group[0].forward(src, srcOff, n, ws, sepOff);
                        }
                    } else {
                        group[g].forward(src, srcOff, n, ws, colArea);
                        final float[] dst = pointwise == null ? y : ws;
                        final int dstOff = pointwise == null ? yb + r0 * outW * out : sepOff;
                        for (int p = 0; p < n; p++) {
                            System.arraycopy(ws, colArea + p * fG, dst, dstOff + p * filters + g * fG, fG);
                        }
                    }
                }
                if (pointwise != null) {
                    pointwise.forward(ws, sepOff, n, y, yb + r0 * outW * out);
                }
                // the block's activation while its rows are still in cache
                activation.applyRows(y, yb + r0 * outW * out, n, out);
            }
        }
    }

    /**
     * Whether {@link #forwardPooled} takes the layer and its 2 x 2 max pooling in one pass on
     * images of {@code h} rows (else it runs the one after the other): stride 1, an activation
     * of each value alone, an output of at least 2 x 2, a product of transposed patches ({@link
     * #patchProduct}: the kernels multiply transposed rows, or keep a transposed copy beside the
     * rows' kernel), and one thread (with intra-op threads the layer shares out its own work).
     */
    public boolean pooled(int h) {
        final int outH = outSize(h, kh, sh, dh, padding, "Conv2D");
        return sh == 1 && sw == 1 && !direct && !activation.isLastAxis() && outH >= 2
                && outW >= 2 && IntraOp.THREADS == 1 && transposed((outH / 2) * (outW / 2));
    }

    /**
     * The layer, then MaxPooling2D with a 2 x 2 window, strides 2 and valid padding, on
     * {@code images} images of {@code h} rows: {@code y} gets the pooled maps,
     * {@code (outH / 2, outW / 2, out)} each, channels last.  Each of the layer's outputs has the
     * sums of {@link #forward} and the pooling takes their maximum, so the values are those of the
     * two layers one after the other.  Where {@link #pooled} holds, only the pooled maps are
     * written: the image is copied into polyphase planes (even and odd rows and columns apart,
     * {@link #polyphase}), so the layer's outputs at the four pixels of every window come out as
     * four products of their own (one per phase, each gathered from runs of the phase planes);
     * the windows' maxima are then one pass over four arrays, and no full-size map is written
     * out and read back.  Else the layer's outputs go to a buffer of this thread, then
     * {@link Image2D#pool}.  Measured, cnn_lstm's two Conv2D + MaxPooling2D pairs on 4 frames
     * (one JVM, load 1.0, microseconds against the two layers one after the other): JDK 17
     * 261 -> 213 and 410 -> 394-400; JDK 25 324-334 -> 322-323.  The four phases share their
     * input shifts ({@link #gatherBank}: 16 gathered rows per channel of a 3 x 3 kernel against 36),
     * and relu goes over the maxima once ({@link Activation#commutesWithMax}).  Measured, the
     * shared shifts: the two pairs alone with the portable kernels (4 frames, microseconds per
     * frame, 2 alternating runs, load 0.8-1.1) 58-59 -> 52-53 and 105-114 -> 98-102, cnn_lstm
     * whole process 0.94x the time portable, 0.93x with {@code Math.fma} on JDK 17, 0.96x on JDK 25;
     * relu over the maxima, with the portable product's two pairs for four columns left, 0.97x portable.
     */
    public void forwardPooled(float[] x, int images, int h, float[] y, float[] ws) {
        forwardPooled(x, images, h, y, ws, false, false);
    }

    /**
     * {@link #forwardPooled(float[], int, int, float[], float[])} with the input, the output or
     * both as channel planes (an image's {@code in} planes of {@code h * w} values, or its
     * {@code out} planes of the pooled map, one after the other): a frame chain passes planes
     * between this call and a convolution next to it where {@link #planes(Conv2D, int, boolean,
     * Conv2D, int, boolean)} says both ends work on planes, so the pooled map skips its scatter
     * into channels-last rows and the next layer its copy into planes.  The same values.
     *
     * @throws IllegalStateException where {@link #pooled} is false and a flag is set
     */
    public void forwardPooled(float[] x, int images, int h, float[] y, float[] ws, boolean planesIn,
                              boolean planesOut) {
        if ((planesIn || planesOut) && !pooled(h)) {
            throw new IllegalStateException("Conv2D: channel planes in one pass only where pooled(" + h + ") is true");
        }
        final int outH = outSize(h, kh, sh, dh, padding, "Conv2D");
        final int ph = outH / 2;
        final int pw = outW / 2;
        if (!pooled(h)) {
            final float[] full = threadBuffer(FULL, images * outH * outW * out);
            forward(x, 0, images, h, full, 0, outH, ws, 0);
            Image2D.pool(Image2D.MAX, full, images, outH, outW, out, 2, 2, 2, 2, false, y, ph, pw);
            return;
        }
        final int padT = padBefore(h, outH, dh * (kh - 1) + 1, 1, padding);
        final int padL = padBefore(w, outW, dw * (kw - 1) + 1, 1, padding);
        // the four phases' taps read (kh + 1) x (kw + 1) shifts of each channel (stride 1, no
        // dilation) rather than 4 x kh x kw: each shift is gathered once into a bank row, and each
        // phase's patch rows are references to the bank's
        final int[] ys = shifts(kh, dh);
        final int[] xs = shifts(kw, dw);
        final int banked = ys.length * xs.length * in;
        final float[][] bank = Kernels.ACTIVE.transposedRows(banked);
        final int chunk = Kernels.ACTIVE.transposedRowsMax(banked);
        final float[][] t = new float[kh * kw * in][];
        final int total = ph * pw;
        final int hp = (h + 1) / 2;
        final int wp = (w + 1) / 2;
        // small images: several in one chunk (as forwardImages)
        final int per = Math.max(1, chunk / total);
        final float[][] phase = phaseBuffers(out * Math.min(chunk, per * total));
        final float[] a = phase[0];
        final float[] b = phase[1];
        final float[] c = phase[2];
        final float[] d = phase[3];
        // relu (or none) once over the maxima instead of over the four phases: the same bits
        final boolean afterMax = activation.commutesWithMax();
        for (int img0 = 0; img0 < images; img0 += per) {
            final int count = Math.min(per, images - img0);
            final float[] planes = polyphase(x, img0 * h * w * in, count, h, w, hp, wp, planesIn);
            final int cols = count * total;
            final int yb = img0 * total * out;
            for (int p0 = 0; p0 < cols; p0 += chunk) {
                final int n = Math.min(chunk, cols - p0);
                gatherBank(planes, count, hp, wp, ph, pw, ys, xs, padT, padL, bank, p0, n);
                for (int q = 0; q < 4; q++) {
                    phaseRows(ys, xs, q >> 1, q & 1, bank, t);
                    patchProduct.forwardTransposed(t, n, phase[q], 0, n, 0, out);
                    if (!afterMax) {
                        activation.applyInPlace(phase[q], 0, out * n);
                    }
                }
                for (int i = 0; i < out * n; i++) {
                    a[i] = Math.max(Math.max(a[i], b[i]), Math.max(c[i], d[i]));
                }
                if (afterMax) {
                    activation.applyInPlace(a, 0, out * n);
                }
                if (planesOut) {
                    // each image's run of the chunk into its planes
                    for (int c0 = p0; c0 < p0 + n; ) {
                        final int img = c0 / total;
                        final int c1 = Math.min(p0 + n, (img + 1) * total);
                        final int dst = yb + img * out * total + (c0 - img * total);
                        for (int j = 0; j < out; j++) {
                            System.arraycopy(a, j * n + c0 - p0, y, dst + j * total, c1 - c0);
                        }
                        c0 = c1;
                    }
                } else {
                    scatterPlanes(a, n, out, y, yb + p0 * out);
                }
            }
        }
    }

    /** Per-thread output phases of {@link #forwardPooled}: four arrays of at least {@code n} values. */
    private static final ThreadLocal<float[][]> PHASES = new ThreadLocal<float[][]>();

    private static float[][] phaseBuffers(int n) {
        float[][] b = PHASES.get();
        if (b == null || b[0].length < n) {
            b = new float[][] {new float[n], new float[n], new float[n], new float[n]};
            PHASES.set(b);
        }
        return b;
    }

    /**
     * Per-thread full-size outputs of {@link #forwardPooled} where it runs the two layers one after
     * the other, and {@link #forwardImages}' planes of a chunk (never both at once: that
     * {@code forwardPooled} writes channels last).
     */
    private static final ThreadLocal<float[]> FULL = new ThreadLocal<float[]>();


    /**
     * {@code count} images from {@code x[xb ..]} (channels last, or channel planes with
     * {@code planesIn}) as polyphase planes: phase (py, px) of channel c
     * of image i holds pixel (2a + py, 2b + px) at (a, b) of an {@code hp x wp} plane, zero where
     * that pixel lies outside the image; the images' planes of one phase and channel one after
     * the other (a plane of {@code count * hp} rows), plane set {@code (py * 2 + px) * in + c}.
     */
    private float[] polyphase(float[] x, int xb, int count, int h, int w, int hp, int wp, boolean planesIn) {
        final int area = hp * wp;
        final int set = count * area;
        final float[] p = planeBuffer(4 * in * set);
        if ((h & 1) != 0 || (w & 1) != 0) {
            java.util.Arrays.fill(p, 0, 4 * in * set, 0f);
        }
        for (int img = 0; img < count; img++) {
            final int ib = xb + img * h * w * in;
            for (int iy = 0; iy < h; iy++) {
                final int py = iy & 1;
                final int rowOff = img * area + (iy >> 1) * wp;
                for (int px = 0; px < 2; px++) {
                    final int cols = (w - px + 1) / 2;
                    final int d0 = (py * 2 + px) * in * set + rowOff;
                    if (!planesIn) {
                        toPlanes(x, ib + (iy * w + px) * in, 2 * in, cols, p, d0, set);
                        continue;
                    }
                    for (int c = 0; c < in; c++) {
                        final int s0 = ib + (c * h + iy) * w + px;
                        final int d = d0 + c * set;
                        for (int b = 0; b < cols; b++) {
                            p[d + b] = x[s0 + 2 * b];
                        }
                    }
                }
            }
        }
        return p;
    }

    /**
     * The distinct offsets {@code d + i * dil} (phase d of 0 or 1, tap i of {@code k}) at which
     * the pooled phases' taps read along one axis, ascending: {@code k + 1} of them without
     * dilation, against {@code 2 k} taps of the two phases.
     */
    static int[] shifts(int k, int dil) {
        final boolean[] used = new boolean[2 + (k - 1) * dil];
        int count = 0;
        for (int d = 0; d < 2; d++) {
            for (int i = 0; i < k; i++) {
                if (!used[d + i * dil]) {
                    used[d + i * dil] = true;
                    count++;
                }
            }
        }
        final int[] s = new int[count];
        for (int v = 0, q = 0; v < used.length; v++) {
            if (used[v]) {
                s[q++] = v;
            }
        }
        return s;
    }

    /**
     * The transposed rows of pooled pixels {@code [p0, p0 + n)} read at every shift: bank row
     * {@code (iy * xs.length + ix) * in + c} holds, for pixel p of image {@code p / (ph pw)} at
     * (a, b) of its {@code ph x pw} grid, input pixel (2a + ry, 2b + rx) of channel c,
     * {@code ry = ys[iy] - padT} and {@code rx = xs[ix] - padL}: phase {@code (ry & 1, rx & 1)}
     * at (a + (ry >> 1), b + (rx >> 1)), zero outside the image.  Output pixel (2a + dy, 2b + dx)'s
     * tap (i, j) is the row of shifts {@code dy + i dh} and {@code dx + j dw} ({@link #phaseRows}).
     */
    private void gatherBank(float[] planes, int count, int hp, int wp, int ph, int pw, int[] ys, int[] xs, int padT,
                            int padL, float[][] bank, int p0, int n) {
        final int set = count * hp * wp;
        for (int iy = 0; iy < ys.length; iy++) {
            final int ry = ys[iy] - padT;
            for (int ix = 0; ix < xs.length; ix++) {
                final int rx = xs[ix] - padL;
                final int first = ((ry & 1) * 2 + (rx & 1)) * in * set;
                for (int c = 0; c < in; c++) {
                    final float[] tk = bank[(iy * xs.length + ix) * in + c];
                    if (pw == wp && ph == hp) {
                        runs(planes, first + c * set, count, hp, wp, ry >> 1, rx >> 1, tk, p0, n, 0);
                    } else {
                        shifted(planes, first + c * set, hp, wp, ph, pw, ry >> 1, rx >> 1, tk, p0, n);
                    }
                }
            }
        }
    }

    /** Phase (dy, dx)'s patch rows {@code t[(i kw + j) in + c]}: references to their {@link #gatherBank} rows. */
    private void phaseRows(int[] ys, int[] xs, int dy, int dx, float[][] bank, float[][] t) {
        for (int i = 0; i < kh; i++) {
            final int iy = java.util.Arrays.binarySearch(ys, dy + i * dh);
            for (int j = 0; j < kw; j++) {
                final int ix = java.util.Arrays.binarySearch(xs, dx + j * dw);
                System.arraycopy(bank, (iy * xs.length + ix) * in, t, (i * kw + j) * in, in);
            }
        }
    }

    /**
     * {@code tk[q] = src[first + (i hp + a + sy) wp + b + sx]} for pixel {@code p0 + q} of image
     * i at (a, b) of its {@code ph x pw} grid, the images' {@code hp x wp} planes one after the
     * other from {@code first}; zero where {@code (a + sy, b + sx)} lies outside the plane.  A
     * copy per grid row.
     */
    private static void shifted(float[] src, int first, int hp, int wp, int ph, int pw, int sy, int sx, float[] tk,
                                int p0, int n) {
        for (int q0 = 0; q0 < n; ) {
            final int row = (p0 + q0) / pw;
            final int b0 = (p0 + q0) % pw;
            final int b1 = Math.min(pw, b0 + n - q0);
            final int r = row % ph + sy;
            int lo = b1;
            int hi = b1;
            if (r >= 0 && r < hp) {
                lo = Math.min(b1, Math.max(b0, -sx));
                hi = Math.max(lo, Math.min(b1, wp - sx));
            }
            final int qb = q0 - b0;
            for (int b = b0; b < lo; b++) {
                tk[qb + b] = 0f;
            }
            if (hi > lo) {
                System.arraycopy(src, first + ((row / ph) * hp + r) * wp + lo + sx, tk, qb + lo, hi - lo);
            }
            for (int b = hi; b < b1; b++) {
                tk[qb + b] = 0f;
            }
            q0 += b1 - b0;
        }
    }

    /**
     * Channel planes {@code a[j * n + q]} ({@code out} planes of {@code n} values) into the
     * channels-last rows {@code y[yOff + q * out + j]}, eight channels per pass.
     */
    private static void scatterPlanes(float[] a, int n, int out, float[] y, int yOff) {
        int j = 0;
        for (; j + 7 < out; j += 8) {
            final int s = j * n;
            for (int q = 0; q < n; q++) {
                final int o = yOff + q * out + j;
                y[o] = a[s + q];
                y[o + 1] = a[s + n + q];
                y[o + 2] = a[s + 2 * n + q];
                y[o + 3] = a[s + 3 * n + q];
                y[o + 4] = a[s + 4 * n + q];
                y[o + 5] = a[s + 5 * n + q];
                y[o + 6] = a[s + 6 * n + q];
                y[o + 7] = a[s + 7 * n + q];
            }
        }
        for (; j < out; j++) {
            final int s = j * n;
            for (int q = 0; q < n; q++) {
                y[yOff + q * out + j] = a[s + q];
            }
        }
    }

    /** Whether an image of {@code pixels} output pixels goes through {@link #forwardTransposed} (without a row path). */
    private boolean transposed(int pixels) {
        return patchProduct != null && patchProduct.transposes(pixels);
    }

    /**
     * With intra-op threads: the output rows (row path: {@link #forwardRows}, each thread's
     * border patches in its own slice of the workspace) or the chunks of pixels (transposed path:
     * {@link #forwardTransposed}, whose scratch is per thread) of every image shared out, each
     * computed as on one thread.  False, having computed nothing, where the layer takes another
     * path, there is one unit of work, or another caller holds the helpers.
     */
    private boolean forwardShared(final float[] x, final int xOff, final int images, final int h, final int w,
                                  final int outW, final float[] y, final int yOff, final int outH, final int padT,
                                  final int padL, final float[] ws, final int wsOff, final boolean planesIn,
                                  final boolean planesOut) {
        final boolean rows = kernelRows != null
                && (long) IntraOp.THREADS * kw * in <= (long) block * outW * kh * kw * in;
        final boolean chunks = kernelRows == null && !direct && transposed(outH * outW);
        if (!rows && !chunks) {
            return false;
        }
        final int per = rows ? outH
                : (outH * outW + Kernels.ACTIVE.transposedRowsMax(kh * kw * in) - 1)
                / Kernels.ACTIVE.transposedRowsMax(kh * kw * in);
        final long units = (long) images * per;
        if (chunks && units < IntraOp.THREADS && out >= 8 * IntraOp.THREADS) {
            // fewer chunks than threads (one small image, as a model on one image gives each layer):
            // every chunk's columns shared out instead
            for (int img = 0; img < images; img++) {
                forwardTransposed(x, xOff + img * h * w * in, h, w, outW, y, yOff + img * outH * outW * out, outH,
                        padT, padL, 0, Integer.MAX_VALUE, true, planesIn, planesOut);
            }
            return true;
        }
        return units > 1 && IntraOp.run(new IntraOp.Job() {
            public void run(int part, int parts) {
                final long end = units * (part + 1) / parts;
                for (long u = units * part / parts; u < end; ) {
                    final int img = (int) (u / per);
                    final int a = (int) (u % per);
                    final int b = (int) Math.min(per, a + end - u);
                    final int xb = xOff + img * h * w * in;
                    final int yb = yOff + img * outH * outW * out;
                    if (rows) {
                        forwardRows(x, xb, h, w, outW, y, yb, outH, padT, padL, ws, wsOff + part * kw * in, a, b);
                    } else {
                        forwardTransposed(x, xb, h, w, outW, y, yb, outH, padT, padL, a, b, false, planesIn,
                                planesOut);
                    }
                    u += b - a;
                }
            }
        });
    }

    /**
     * One image without a patch matrix.  The {@code kw} pixels under a kernel row are adjacent in
     * {@code x}, so for the output columns whose window lies inside the image, the input rows
     * under kernel row {@code i} form a plain matrix with rows {@code sw * in} apart (overlapping
     * when {@code sw < kw}); each output row starts at the bias and adds the product of each
     * kernel row's matrix in kernel order.  The few columns whose window crosses the border get
     * their patch row gathered, zeros for the padding.  The sums are those of the patch product
     * (im2col), in the same order.  Output rows {@code [oy0, oy1)} only (an intra-op thread's share).
     * With more than {@link Linear#LONG} inputs per output, each kernel row's products are summed
     * from zero and then added to the output row, as a long product adds its slices.
     */
    private void forwardRows(float[] x, int xb, int h, int w, int outW, float[] y, int yb, int outH, int padT,
                             int padL, float[] ws, int wsOff, int oy0, int oy1) {
        // output columns [lo, hi) have their whole window inside the image
        final int lo = Math.min(outW, (padL + sw - 1) / sw);
        final int hi = Math.max(lo, Math.min(outW, w - kw + padL < 0 ? 0 : (w - kw + padL) / sw + 1));
        final float[] part = kh * kw * in > Linear.LONG ? threadBuffer(ROW_SUMS, outW * out) : null;
        for (int oy = oy0; oy < oy1; oy++) {
            final int yr = yb + oy * outW * out;
            // the bias in every pixel: one copy, then copies of what is filled (doubling)
            System.arraycopy(rowBias, 0, y, yr, out);
            for (int done = 1; done < outW; done += Math.min(done, outW - done)) {
                System.arraycopy(y, yr, y, yr + done * out, Math.min(done, outW - done) * out);
            }
            for (int i = 0; i < kh; i++) {
                final int iy = oy * sh - padT + i * dh;
                if (iy < 0 || iy >= h) {
                    continue;
                }
                final int rowBase = xb + iy * w * in;
                final float[] sums = part != null ? part : y;
                final int so = part != null ? 0 : yr;
                if (part != null) {
                    java.util.Arrays.fill(part, 0, outW * out, 0f);
                }
                if (lo < hi) {
                    kernelRows[i].addRows(x, rowBase + (lo * sw - padL) * in, sw * in, hi - lo, sums, so + lo * out,
                            out);
                }
                for (int ox = 0; ox < lo; ox++) {
                    edge(x, rowBase, w, ox * sw - padL, ws, wsOff);
                    kernelRows[i].addTo(ws, wsOff, sums, so + ox * out);
                }
                for (int ox = hi; ox < outW; ox++) {
                    edge(x, rowBase, w, ox * sw - padL, ws, wsOff);
                    kernelRows[i].addTo(ws, wsOff, sums, so + ox * out);
                }
                if (part != null) {
                    Linear.add(part, 0, y, yr, outW * out);
                }
            }
            activation.applyRows(y, yr, outW, out);
        }
    }

    /**
     * One image through kernels that multiply transposed rows ({@link Kernels#matmulT}): the
     * patches are gathered straight into the transposed layout, {@code t[k][p]} for patch value
     * k of pixel p, a chunk of pixels at a time (no patch matrix to transpose again), zeros for
     * the padding.  The same sums as the patch product (measured: cnn_lstm 7-10% faster on JDK 17;
     * applying relu as the outputs are written was no faster).  Chunks {@code [chunk0, chunk1)} of
     * {@link Kernels#transposedRowsMax} pixels only (an intra-op thread's share); with
     * {@code shareColumns}, each chunk's product split by columns over the intra-op threads.  With
     * {@code planesIn} the image is already in channel planes; with {@code planesOut} the product
     * writes each output channel's run of the chunk into its plane (no scatter into rows).
     */
    private void forwardTransposed(float[] x, int xb, int h, int w, int outW, float[] y, int yb, int outH,
                                   int padT, int padL, int chunk0, int chunk1, boolean shareColumns,
                                   boolean planesIn, boolean planesOut) {
        final int k = kh * kw * in;
        final float[][] t = Kernels.ACTIVE.transposedRows(k);
        final int chunk = Kernels.ACTIVE.transposedRowsMax(k);
        final int total = outH * outW;
        final float[] plane = imagePlanes(x, xb, h * w, planesIn);
        final int planeOff = plane == x ? xb : 0;
        final int pEnd = (int) Math.min(total, (long) chunk1 * chunk);
        for (int p0 = chunk0 * chunk; p0 < pEnd; p0 += chunk) {
            final int n = Math.min(chunk, total - p0);
            gather(plane, planeOff, h, w, outW, outH, padT, padL, t, p0, n, 0);
            final int yOff = planesOut ? yb + p0 : yb + p0 * out;
            final int planeStride = planesOut ? total : 0;
            if (!shareColumns || !productShared(t, n, y, yOff, planeStride)) {
                patchProduct.forwardTransposed(t, n, y, yOff, planeStride, 0, out);
            }
            if (planesOut) {
                for (int j = 0; j < out; j++) {
                    activation.applyInPlace(y, yOff + j * total, n);
                }
            } else {
                activation.applyRows(y, yOff, n, out);
            }
        }
    }

    /**
     * {@code count} images of at most half a chunk each through kernels that multiply transposed
     * rows, as one chunk: each image's patches gathered into its own columns of the transposed rows,
     * then one product over all of them (channels-last outputs, which lie one image after another).
     * A 16 x 16 image alone gives the product loops of 256 pixels; four of them, 1024.  The same
     * sums as one image at a time.  A frame chain passes a few frames at a time for this
     * ({@link Frames#perPass}, where it is measured).  With {@code planesOut} the product's columns
     * go to this thread's buffer as planes of all the images, then each image's run of each to
     * its own plane.
     */
    private void forwardImages(float[] x, int xb, int count, int h, int w, int outW, float[] y, int yb, int outH,
                               int padT, int padL, boolean planesIn, boolean planesOut) {
        final int k = kh * kw * in;
        final float[][] t = Kernels.ACTIVE.transposedRows(k);
        final int total = outH * outW;
        for (int img = 0; img < count; img++) {
            final int xi = xb + img * h * w * in;
            final float[] plane = imagePlanes(x, xi, h * w, planesIn);
            gather(plane, plane == x ? xi : 0, h, w, outW, outH, padT, padL, t, 0, total, img * total);
        }
        if (planesOut) {
            final int n = count * total;
            final float[] chunk = threadBuffer(FULL, out * n);
            patchProduct.forwardTransposed(t, n, chunk, 0, n, 0, out);
            activation.applyInPlace(chunk, 0, out * n);
            for (int img = 0; img < count; img++) {
                for (int j = 0; j < out; j++) {
                    System.arraycopy(chunk, j * n + img * total, y, yb + (img * out + j) * total, total);
                }
            }
            return;
        }
        patchProduct.forwardTransposed(t, count * total, y, yb, 0, 0, out);
        activation.applyRows(y, yb, count * total, out);
    }

    /**
     * The image at {@code x[xb ..]} one channel after another (plane c holds channel c's {@code hw}
     * values), so that each patch row copies runs of an image row instead of gathering values
     * {@code in} apart: {@code x} itself where the image is already planes (or has one channel),
     * else this thread's plane buffer (from index 0).
     */
    private float[] imagePlanes(float[] x, int xb, int hw, boolean planesIn) {
        if (in == 1 || planesIn) {
            return x;
        }
        final float[] plane = planeBuffer(hw * in);
        toPlanes(x, xb, in, hw, plane, 0, hw);
        return plane;
    }

    /**
     * The {@code in} channels of {@code count} pixels, pixel b's at {@code x[s0 + b * stride ..]},
     * into planes {@code ps} floats apart: channel c of pixel b to {@code p[d0 + c * ps + b]}.  Four
     * channels per pass over the pixels, then three, then one: each pass reads every cache line of
     * the pixels, so fewer passes read less (measured, one JVM, JDK 17 and 25, load 1.1,
     * microseconds per image against one channel per pass: 64 x 64 x 3 5.2-5.5 -> 2.9-3.2, 32 x 32
     * x 16 7.1-7.5 -> 3.9-4.5, 16 x 16 x 32 3.7-4.1 -> 2.0-2.1; eight per pass no faster).  Indices
     * from b alone (one induction variable; measured, cnn_lstm 0-8% faster, JDK 17 and 25).
     */
    private void toPlanes(float[] x, int s0, int stride, int count, float[] p, int d0, int ps) {
        int c = 0;
        for (; c + 3 < in; c += 4) {
            final int da = d0 + c * ps;
            final int db = da + ps;
            final int dc = db + ps;
            final int dd = dc + ps;
            final int sc = s0 + c;
            for (int b = 0; b < count; b++) {
                final int v = sc + b * stride;
                p[da + b] = x[v];
                p[db + b] = x[v + 1];
                p[dc + b] = x[v + 2];
                p[dd + b] = x[v + 3];
            }
        }
        if (c + 2 < in) {
            final int da = d0 + c * ps;
            final int db = da + ps;
            final int dc = db + ps;
            final int sc = s0 + c;
            for (int b = 0; b < count; b++) {
                final int v = sc + b * stride;
                p[da + b] = x[v];
                p[db + b] = x[v + 1];
                p[dc + b] = x[v + 2];
            }
            c += 3;
        }
        for (; c < in; c++) {
            final int d = d0 + c * ps;
            final int sc = s0 + c;
            for (int b = 0; b < count; b++) {
                p[d + b] = x[sc + b * stride];
            }
        }
    }

    /**
     * The transposed patch rows of output pixels {@code [p0, p0 + n)} into columns {@code [to, to + n)}
     * of {@code t}: {@link #gatherRuns} for stride 1 and an output as wide as the input (same
     * padding), where each patch row is one run of a plane, else {@link #gatherRows}.
     */
    private void gather(float[] plane, int planeOff, int h, int w, int outW, int outH, int padT, int padL,
                        float[][] t, int p0, int n, int to) {
        if (sh == 1 && sw == 1 && outW == w) {
            gatherRuns(plane, planeOff, h, w, padT, padL, t, p0, n, to);
        } else {
            gatherRows(plane, planeOff, h, w, outW, padT, padL, t, p0, n, to);
        }
    }

    /**
     * The transposed product of one chunk ({@code n} pixels, their patches in {@code t}) with its
     * columns shared out over the intra-op threads, each thread's share in whole groups of four;
     * false, having computed nothing, where another caller holds the helpers.
     */
    private boolean productShared(final float[][] t, final int n, final float[] y, final int yOff, final int plane) {
        final Linear product = patchProduct;
        return IntraOp.run(new IntraOp.Job() {
            public void run(int part, int parts) {
                product.forwardTransposed(t, n, y, yOff, plane, IntraOp.rowShare(out, part, parts),
                        IntraOp.rowShare(out, part + 1, parts));
            }
        });
    }

    /**
     * The transposed patch rows of output pixels {@code [p0, p0 + n)} (into columns from {@code to}),
     * one output row's pixels at a time: for each kernel position and channel, the columns whose window lies inside the image
     * copied from the plane (a run where the stride is 1), zeros for the rest.
     */
    private void gatherRows(float[] plane, int planeOff, int h, int w, int outW, int padT, int padL, float[][] t,
                            int p0, int n, int to) {
        final int hw = h * w;
        for (int q0 = 0; q0 < n; ) {
            // the pixels of one output row in this chunk: columns [a, b) of row oy
            final int oy = (p0 + q0) / outW;
            final int a = (p0 + q0) % outW;
            final int b = Math.min(outW, a + n - q0);
            for (int i = 0; i < kh; i++) {
                final int iy = oy * sh - padT + i * dh;
                final boolean inside = iy >= 0 && iy < h;
                for (int j = 0; j < kw; j++) {
                    // columns [lo, hi) read input column ox * sw + shift inside the image
                    final int shift = j * dw - padL;
                    int lo = a;
                    int hi = a;
                    if (inside) {
                        lo = Math.min(b, Math.max(a, shift >= 0 ? 0 : (sw - 1 - shift) / sw));
                        hi = Math.max(lo, Math.min(b, w - 1 - shift < 0 ? 0 : (w - 1 - shift) / sw + 1));
                    }
                    final int src = planeOff + iy * w + lo * sw + shift;
                    final int qLo = q0 + lo - a;
                    final int qHi = q0 + hi - a;
                    final int qEnd = q0 + b - a;
                    for (int c = 0; c < in; c++) {
                        final float[] tk = t[(i * kw + j) * in + c];
                        for (int q = q0; q < qLo; q++) {
                            tk[to + q] = 0f;
                        }
                        if (sw == 1 && qHi > qLo) {
                            System.arraycopy(plane, src + c * hw, tk, to + qLo, qHi - qLo);
                        } else {
                            final int s0 = src + c * hw - qLo * sw;
                            for (int q = qLo; q < qHi; q++) {
                                tk[to + q] = plane[s0 + q * sw];
                            }
                        }
                        for (int q = qHi; q < qEnd; q++) {
                            tk[to + q] = 0f;
                        }
                    }
                }
            }
            q0 += b - a;
        }
    }

    /**
     * The transposed patch rows of output pixels {@code [p0, p0 + n)} (into columns from {@code to})
     * for a stride-1 layer whose
     * output is as wide as its input ({@code w}): pixel p (row oy, column ox) reads input row
     * {@code oy + i dh - padT} and column {@code ox + j dw - padL}, which is plane value
     * {@code p + (i dh - padT) w + (j dw - padL)}.  So each patch row is one copy of a run of its
     * channel's plane (instead of one copy per output row), zeros where the kernel row falls above
     * or below the image, then zeros at the columns whose window leaves the image sideways (the
     * run carried the neighbouring row's values there).  The values of the per-row gather (bit
     * for bit over 300 random layers).  Measured, cnn_lstm (alternating, load 1.3-1.8): JDK 17
     * 11.4-11.5 -> 9.5-10.8 ms, JDK 25 9.4-9.6 -> 8.5-9.0 (its 3 x 3 layers on 16 x 16 images
     * copied 16 values at a time).
     */
    private void gatherRuns(float[] plane, int planeOff, int h, int w, int padT, int padL, float[][] t, int p0,
                            int n, int to) {
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                for (int c = 0; c < in; c++) {
                    runs(plane, planeOff + c * h * w, 1, h, w, i * dh - padT, j * dw - padL, t[(i * kw + j) * in + c],
                            p0, n, to);
                }
            }
        }
    }

    /**
     * {@code tk[to + q] = src[first + (a + sy) w + b + sx]} for pixel {@code p0 + q} at (a, b) of its
     * image's {@code h x w} grid, the images' planes one after the other from {@code first};
     * zero where {@code (a + sy, b + sx)} lies outside the image's plane.  One copy of a run of
     * the planes, then zeros at the rows and columns whose shift leaves an image.
     */
    private static void runs(float[] src, int first, int count, int h, int w, int sy, int sx, float[] tk, int p0,
                             int n, int to) {
        final int area = h * w;
        final int base = first + p0 + sy * w + sx;   // planes index of position 0
        final int a = Math.min(n, Math.max(0, first - base));
        final int b = Math.max(a, Math.min(n, first + count * area - base));
        for (int q = 0; q < a; q++) {
            tk[to + q] = 0f;
        }
        if (b > a) {
            System.arraycopy(src, base + a, tk, to + a, b - a);
        }
        for (int q = b; q < n; q++) {
            tk[to + q] = 0f;
        }
        if (sy != 0) {
            // rows [0, -sy) or [h - sy, h) of each image read another image: zeros
            final int r0 = sy < 0 ? 0 : Math.max(0, h - sy);
            final int r1 = sy < 0 ? Math.min(h, -sy) : h;
            for (int img = p0 / area; img <= (p0 + n - 1) / area; img++) {
                final int from = Math.max(a, img * area + r0 * w - p0);
                final int until = Math.min(b, img * area + r1 * w - p0);
                for (int q = from; q < until; q++) {
                    tk[to + q] = 0f;
                }
            }
        }
        if (sx != 0) {
            // columns [0, -sx) or [w - sx, w) read the row beside: zeros
            final int c0 = sx < 0 ? 0 : Math.max(0, w - sx);
            final int c1 = sx < 0 ? Math.min(w, -sx) : w;
            for (int row = p0 / w; row <= (p0 + n - 1) / w; row++) {
                final int q0 = row * w - p0;
                final int from = Math.max(a, q0 + c0);
                final int until = Math.min(b, q0 + c1);
                for (int q = from; q < until; q++) {
                    tk[to + q] = 0f;
                }
            }
        }
    }

    /** Per-thread channel planes of {@link #forwardTransposed} (a plain ThreadLocal: withInitial is Android API 26). */
    private static final ThreadLocal<float[]> PLANE = new ThreadLocal<float[]>();

    private static float[] planeBuffer(int n) {
        return threadBuffer(PLANE, n);
    }

    /** Per-thread sums of one kernel row over an output row ({@link #forwardRows} of a long product). */
    private static final ThreadLocal<float[]> ROW_SUMS = new ThreadLocal<float[]>();

    /** This thread's array of {@code local}, grown to at least {@code n} values. */
    private static float[] threadBuffer(ThreadLocal<float[]> local, int n) {
        float[] b = local.get();
        if (b == null || b.length < n) {
            b = new float[n];
            local.set(b);
        }
        return b;
    }

    /** The {@code kw} pixels of an input row from column {@code ix0} on into {@code ws}, zeros outside the image. */
    private void edge(float[] x, int rowBase, int w, int ix0, float[] ws, int wsOff) {
        for (int j = 0; j < kw; j++) {
            final int ix = ix0 + j;
            if (ix < 0 || ix >= w) {
                java.util.Arrays.fill(ws, wsOff + j * in, wsOff + (j + 1) * in, 0f);
            } else {
                System.arraycopy(x, rowBase + ix * in, ws, wsOff + j * in, in);
            }
        }
    }

    /** A short copy inline (System.arraycopy's call costs more than a few values). */
    private static void copy(float[] src, int from, float[] dst, int to, int len) {
        if (len < 16) {
            for (int i = 0; i < len; i++) {
                dst[to + i] = src[from + i];
            }
        } else {
            System.arraycopy(src, from, dst, to, len);
        }
    }

    /** The patches of output rows {@code r0 .. r0+rows) for group {@code g}, one row of {@code kh*kw*inG} per pixel. */
    private void im2col(float[] x, int xb, int h, int w, int outW, int r0, int rows, int g, int padT, int padL,
                        float[] col, int colOff) {
        int p = colOff;
        final int c0 = g * inG;
        final boolean run = dw == 1 && groups == 1;
        for (int oy = r0; oy < r0 + rows; oy++) {
            for (int ox = 0; ox < outW; ox++) {
                for (int i = 0; i < kh; i++) {
                    final int iy = oy * sh - padT + i * dh;
                    if (iy < 0 || iy >= h) {
                        java.util.Arrays.fill(col, p, p + kw * inG, 0f);
                        p += kw * inG;
                        continue;
                    }
                    final int rowBase = xb + iy * w * in + c0;
                    final int ix0 = ox * sw - padL;
                    if (run && ix0 >= 0 && ix0 + kw <= w) {
                        // the kernel row's pixels are adjacent in x: one copy of kw * in values
                        copy(x, rowBase + ix0 * in, col, p, kw * in);
                        p += kw * in;
                        continue;
                    }
                    for (int j = 0; j < kw; j++) {
                        final int ix = ix0 + j * dw;
                        if (ix < 0 || ix >= w) {
                            java.util.Arrays.fill(col, p, p + inG, 0f);
                        } else {
                            copy(x, rowBase + ix * in, col, p, inG);
                        }
                        p += inG;
                    }
                }
            }
        }
    }
}
