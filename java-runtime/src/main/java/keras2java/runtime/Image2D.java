package keras2java.runtime;

/**
 * Layers on {@code (height, width, channels)} images, channels last, for
 * {@code images} images in a row: MaxPooling2D / AveragePooling2D (padded
 * positions never count, as in TensorFlow; a max over a NaN is NaN), the global poolings,
 * ZeroPadding2D, Cropping2D and UpSampling2D (nearest, and bilinear with
 * TensorFlow's half-pixel centers).
 */
public final class Image2D {
    public static final int MAX = 0;
    public static final int AVG = 1;

    private Image2D() {
    }

    /** Output size of a pooling window along one axis; rejects inputs smaller than a valid window. */
    public static int poolSize(int n, int pool, int strides, boolean same, String layer) {
        if (same) {
            return (n + strides - 1) / strides;
        }
        if (n < pool) {
            throw new IllegalArgumentException(layer + " needs at least " + pool + " rows, got " + n);
        }
        return (n - pool) / strides + 1;
    }

    /** Rows left after cropping {@code before + after} of {@code n}. */
    public static int cropSize(int n, int before, int after, String layer) {
        if (n - before - after < 1) {
            throw new IllegalArgumentException(layer + " crops " + (before + after) + " of " + n + " rows");
        }
        return n - before - after;
    }

    public static void pool(int mode, float[] x, int images, int h, int w, int c, int ph, int pw, int sh, int sw,
                            boolean same, float[] y, int outH, int outW) {
        final int padT = same ? Math.max((outH - 1) * sh + ph - h, 0) / 2 : 0;
        final int padL = same ? Math.max((outW - 1) * sw + pw - w, 0) / 2 : 0;
        // MAX: the row maxima, the window maxima (of whole windows), and a row to compare with,
        // each its own array: HotSpot vectorizes a loop only when its array accesses share one
        // offset, so each loop compares two arrays from index 0 (the copies are cheap)
        final float[][] rows = mode == MAX ? rowBuffers(w * c) : null;
        final float[] row = mode == MAX ? rows[0] : null;
        final float[] next = mode == MAX ? rows[1] : null;
        final float[] win = mode == MAX ? (pw > 1 ? rows[2] : row) : null;
        // window maxima exist for the columns whose window lies inside the image: [0, full) values
        final int full = w >= pw ? (w - pw + 1) * c : 0;
        for (int img = 0; img < images; img++) {
            final int xb = img * h * w * c;
            int yo = img * outH * outW * c;
            for (int oy = 0; oy < outH; oy++) {
                final int y0 = Math.max(oy * sh - padT, 0);
                final int y1 = Math.min(oy * sh - padT + ph, h);
                if (mode == MAX) {
                    // the maximum over the window's rows, then over the window's columns, in long
                    // loops over whole image rows; max is commutative and associative (NaN and -0
                    // included), so any order gives the same bits
                    System.arraycopy(x, xb + y0 * w * c, row, 0, w * c);
                    for (int iy = y0 + 1; iy < y1; iy++) {
                        System.arraycopy(x, xb + iy * w * c, next, 0, w * c);
                        for (int i = 0; i < w * c; i++) {
                            row[i] = Math.max(row[i], next[i]);
                        }
                    }
                    if (pw > 1 && full > 0) {
                        System.arraycopy(row, 0, win, 0, full);
                        for (int j = 1; j < pw; j++) {
                            System.arraycopy(row, j * c, next, 0, full);
                            for (int i = 0; i < full; i++) {
                                win[i] = Math.max(win[i], next[i]);
                            }
                        }
                    }
                }
                for (int ox = 0; ox < outW; ox++) {
                    final int x0 = Math.max(ox * sw - padL, 0);
                    final int x1 = Math.min(ox * sw - padL + pw, w);
                    if (mode == MAX && x1 - x0 == pw) {
                        System.arraycopy(win, x0 * c, y, yo, c);
                    } else if (mode == MAX) {
                        // a window cut by the border: the first of its columns, then a max with the others
                        final int r0 = x0 * c;
                        for (int ch = 0; ch < c; ch++) {
                            y[yo + ch] = row[r0 + ch];
                        }
                        for (int ix = x0 + 1; ix < x1; ix++) {
                            final int b = ix * c;
                            for (int ch = 0; ch < c; ch++) {
                                y[yo + ch] = Math.max(y[yo + ch], row[b + ch]);
                            }
                        }
                    } else {
                        java.util.Arrays.fill(y, yo, yo + c, 0f);
                        for (int iy = y0; iy < y1; iy++) {
                            for (int ix = x0; ix < x1; ix++) {
                                final int b = xb + (iy * w + ix) * c;
                                for (int ch = 0; ch < c; ch++) {
                                    y[yo + ch] += x[b + ch];
                                }
                            }
                        }
                        final float count = (y1 - y0) * (x1 - x0);
                        for (int ch = 0; ch < c; ch++) {
                            y[yo + ch] /= count;
                        }
                    }
                    yo += c;
                }
            }
        }
    }

    /** Per-thread rows of {@link #pool}: three of at least {@code n} values (a plain ThreadLocal: withInitial is Android API 26). */
    private static final ThreadLocal<float[][]> ROWS = new ThreadLocal<float[][]>();

    private static float[][] rowBuffers(int n) {
        float[][] r = ROWS.get();
        if (r == null || r[0].length < n) {
            r = new float[3][n];
            ROWS.set(r);
        }
        return r;
    }

    /**
     * {@link #global(int, float[], int, int, int, float[])} on channel planes where {@code planes}
     * (each image's {@code c} planes of {@code pixels} values, one after the other, from a
     * convolution of a frame chain, {@link Conv2D#planesOut}): each channel's pixels in the same
     * order from the same start, so the same bits; eight channels per pass, their sums
     * independent of each other.  Measured with the convolution before it writing planes
     * instead of scattering into channels-last rows (cnn_lstm's 16 x 16 x 64 maps, whole process,
     * 6 pairs at load 1.0-1.3): portable 2% faster, JDK 17 {@code Math.fma} 3%.
     */
    public static void global(int mode, float[] x, int images, int pixels, int c, float[] y, boolean planes) {
        if (!planes) {
            global(mode, x, images, pixels, c, y);
            return;
        }
        for (int img = 0; img < images; img++) {
            final int xb = img * pixels * c;
            final int yb = img * c;
            int ch = 0;
            for (; ch + 7 < c; ch += 8) {
                globalPlanes8(mode, x, xb + ch * pixels, pixels, y, yb + ch);
            }
            for (; ch < c; ch++) {
                final int o = xb + ch * pixels;
                if (mode == MAX) {
                    float s = x[o];
                    for (int p = 1; p < pixels; p++) {
                        s = Math.max(s, x[o + p]);
                    }
                    y[yb + ch] = s;
                } else {
                    float s = 0f;
                    for (int p = 0; p < pixels; p++) {
                        s += x[o + p];
                    }
                    y[yb + ch] = s / pixels;
                }
            }
        }
    }

    /** {@link #global(int, float[], int, int, int, float[], boolean)}'s eight planes from {@code o}, {@code pixels} apart. */
    private static void globalPlanes8(int mode, float[] x, int o, int pixels, float[] y, int yo) {
        final int n = pixels;
        if (mode == MAX) {
            float s0 = x[o], s1 = x[o + n], s2 = x[o + 2 * n], s3 = x[o + 3 * n];
            float s4 = x[o + 4 * n], s5 = x[o + 5 * n], s6 = x[o + 6 * n], s7 = x[o + 7 * n];
            for (int p = 1; p < n; p++) {
                s0 = Math.max(s0, x[o + p]);
                s1 = Math.max(s1, x[o + n + p]);
                s2 = Math.max(s2, x[o + 2 * n + p]);
                s3 = Math.max(s3, x[o + 3 * n + p]);
                s4 = Math.max(s4, x[o + 4 * n + p]);
                s5 = Math.max(s5, x[o + 5 * n + p]);
                s6 = Math.max(s6, x[o + 6 * n + p]);
                s7 = Math.max(s7, x[o + 7 * n + p]);
            }
            y[yo] = s0; y[yo + 1] = s1; y[yo + 2] = s2; y[yo + 3] = s3;
            y[yo + 4] = s4; y[yo + 5] = s5; y[yo + 6] = s6; y[yo + 7] = s7;
            return;
        }
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        for (int p = 0; p < n; p++) {
            s0 += x[o + p];
            s1 += x[o + n + p];
            s2 += x[o + 2 * n + p];
            s3 += x[o + 3 * n + p];
            s4 += x[o + 4 * n + p];
            s5 += x[o + 5 * n + p];
            s6 += x[o + 6 * n + p];
            s7 += x[o + 7 * n + p];
        }
        y[yo] = s0 / n; y[yo + 1] = s1 / n; y[yo + 2] = s2 / n; y[yo + 3] = s3 / n;
        y[yo + 4] = s4 / n; y[yo + 5] = s5 / n; y[yo + 6] = s6 / n; y[yo + 7] = s7 / n;
    }

    /** Max or mean over the {@code pixels} positions of each image. */
    public static void global(int mode, float[] x, int images, int pixels, int c, float[] y) {
        // four pixels per pass, each output still taking its pixels one after another (the same
        // bits as one pixel per pass; measured, 16 x 16 x 64, JDK 17 and 25: 4.0-4.6 -> 2.5-3.0 us)
        for (int img = 0; img < images; img++) {
            final int xb = img * pixels * c;
            final int yb = img * c;
            if (mode == MAX) {
                System.arraycopy(x, xb, y, yb, c);
                int p = 1;
                for (; p + 3 < pixels; p += 4) {
                    final int o = xb + p * c;
                    for (int ch = 0; ch < c; ch++) {
                        y[yb + ch] = Math.max(Math.max(Math.max(Math.max(y[yb + ch], x[o + ch]), x[o + c + ch]),
                                x[o + 2 * c + ch]), x[o + 3 * c + ch]);
                    }
                }
                for (; p < pixels; p++) {
                    for (int ch = 0; ch < c; ch++) {
                        y[yb + ch] = Math.max(y[yb + ch], x[xb + p * c + ch]);
                    }
                }
            } else {
                java.util.Arrays.fill(y, yb, yb + c, 0f);
                int p = 0;
                for (; p + 3 < pixels; p += 4) {
                    final int o = xb + p * c;
                    for (int ch = 0; ch < c; ch++) {
                        y[yb + ch] = (((y[yb + ch] + x[o + ch]) + x[o + c + ch]) + x[o + 2 * c + ch]) + x[o + 3 * c + ch];
                    }
                }
                for (; p < pixels; p++) {
                    for (int ch = 0; ch < c; ch++) {
                        y[yb + ch] += x[xb + p * c + ch];
                    }
                }
                for (int ch = 0; ch < c; ch++) {
                    y[yb + ch] /= pixels;
                }
            }
        }
    }

    /** ZeroPadding2D. */
    public static void pad(float[] x, int images, int h, int w, int c, int top, int bottom, int left, int right,
                           float[] y) {
        final int outH = h + top + bottom;
        final int outW = w + left + right;
        java.util.Arrays.fill(y, 0, images * outH * outW * c, 0f);
        for (int img = 0; img < images; img++) {
            for (int r = 0; r < h; r++) {
                System.arraycopy(x, ((img * h + r) * w) * c, y, ((img * outH + r + top) * outW + left) * c, w * c);
            }
        }
    }

    /** Cropping2D. */
    public static void crop(float[] x, int images, int h, int w, int c, int top, int left, float[] y, int outH,
                            int outW) {
        for (int img = 0; img < images; img++) {
            for (int r = 0; r < outH; r++) {
                System.arraycopy(x, ((img * h + r + top) * w + left) * c, y, ((img * outH + r) * outW) * c, outW * c);
            }
        }
    }

    /** UpSampling2D, nearest: every pixel repeated {@code sh x sw} times. */
    public static void nearest(float[] x, int images, int h, int w, int c, int sh, int sw, float[] y) {
        final int outW = w * sw;
        int yo = 0;
        for (int img = 0; img < images; img++) {
            for (int r = 0; r < h * sh; r++) {
                final int xr = ((img * h + r / sh) * w) * c;
                for (int col = 0; col < outW; col++) {
                    System.arraycopy(x, xr + (col / sw) * c, y, yo, c);
                    yo += c;
                }
            }
        }
    }

    /**
     * UpSampling2D, bilinear: {@code tf.image.resize} (half-pixel centers, no antialias) to
     * {@code (h * sh, w * sw)}.
     */
    public static void bilinear(float[] x, int images, int h, int w, int c, int sh, int sw, float[] y) {
        final int outH = h * sh;
        final int outW = w * sw;
        final float scaleH = (float) h / outH;
        final float scaleW = (float) w / outW;
        int yo = 0;
        for (int img = 0; img < images; img++) {
            final int xb = img * h * w * c;
            for (int r = 0; r < outH; r++) {
                final float iy = (r + 0.5f) * scaleH - 0.5f;
                final float fy = (float) Math.floor(iy);
                final int y0 = Math.max((int) fy, 0);
                final int y1 = Math.min((int) Math.ceil(iy), h - 1);
                final float ly = iy - fy;
                for (int col = 0; col < outW; col++) {
                    final float ix = (col + 0.5f) * scaleW - 0.5f;
                    final float fx = (float) Math.floor(ix);
                    final int x0 = Math.max((int) fx, 0);
                    final int x1 = Math.min((int) Math.ceil(ix), w - 1);
                    final float lx = ix - fx;
                    final int tl = xb + (y0 * w + x0) * c;
                    final int tr = xb + (y0 * w + x1) * c;
                    final int bl = xb + (y1 * w + x0) * c;
                    final int br = xb + (y1 * w + x1) * c;
                    for (int ch = 0; ch < c; ch++) {
                        final float top = x[tl + ch] + (x[tr + ch] - x[tl + ch]) * lx;
                        final float bottom = x[bl + ch] + (x[br + ch] - x[bl + ch]) * lx;
                        y[yo++] = top + (bottom - top) * ly;
                    }
                }
            }
        }
    }
}
