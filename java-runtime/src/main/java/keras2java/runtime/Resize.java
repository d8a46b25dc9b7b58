package keras2java.runtime;

/**
 * Image preprocessing at inference: {@code tf.image.resize} of a window of each
 * image (Resizing, CenterCrop, smart_resize) and Keras' AutoContrast.  Images are
 * {@code (h, w, c)}, one after the other.
 */
public final class Resize {
    /** tf.image.resize nearest: source index floor((i + 0.5) * in / out), half-pixel centers. */
    public static final int NEAREST = 0;
    /** tf.image.resize bilinear: lerp around (i + 0.5) * in / out - 0.5, half-pixel centers. */
    public static final int BILINEAR = 1;
    /**
     * tf.image.resize bilinear with antialias: TensorFlow's scale_and_translate with the
     * triangle kernel widened by in / out when downsampling, rows first, then columns.
     */
    public static final int BILINEAR_ANTIALIAS = 2;

    private Resize() {
    }

    /**
     * Resizes the window {@code (top, left, cropH, cropW)} of each image to {@code (outH, outW)};
     * window pixels outside the image read {@code fill} (a negative top or left pads).
     */
    public static void resize(int mode, float[] x, int images, int h, int w, int c, int top, int left, int cropH,
                              int cropW, float fill, int outH, int outW, float[] y) {
        if (mode == BILINEAR_ANTIALIAS) {
            antialias(x, images, h, w, c, top, left, cropH, cropW, fill, outH, outW, y);
            return;
        }
        final float scaleH = (float) cropH / outH;
        final float scaleW = (float) cropW / outW;
        int yo = 0;
        for (int img = 0; img < images; img++) {
            final int xb = img * h * w * c;
            for (int r = 0; r < outH; r++) {
                if (mode == NEAREST) {
                    final int sr = nearest(r, scaleH, cropH) + top;
                    for (int col = 0; col < outW; col++) {
                        final int sc = nearest(col, scaleW, cropW) + left;
                        for (int ch = 0; ch < c; ch++) {
                            y[yo++] = pixel(x, xb, h, w, c, sr, sc, ch, fill);
                        }
                    }
                    continue;
                }
                final float iy = (r + 0.5f) * scaleH - 0.5f;
                final float fy = (float) Math.floor(iy);
                final int y0 = Math.max((int) fy, 0) + top;
                final int y1 = Math.min((int) Math.ceil(iy), cropH - 1) + top;
                final float ly = iy - fy;
                for (int col = 0; col < outW; col++) {
                    final float ix = (col + 0.5f) * scaleW - 0.5f;
                    final float fx = (float) Math.floor(ix);
                    final int x0 = Math.max((int) fx, 0) + left;
                    final int x1 = Math.min((int) Math.ceil(ix), cropW - 1) + left;
                    final float lx = ix - fx;
                    for (int ch = 0; ch < c; ch++) {
                        final float tl = pixel(x, xb, h, w, c, y0, x0, ch, fill);
                        final float tr = pixel(x, xb, h, w, c, y0, x1, ch, fill);
                        final float bl = pixel(x, xb, h, w, c, y1, x0, ch, fill);
                        final float br = pixel(x, xb, h, w, c, y1, x1, ch, fill);
                        final float t = tl + (tr - tl) * lx;
                        final float b = bl + (br - bl) * lx;
                        y[yo++] = t + (b - t) * ly;
                    }
                }
            }
        }
    }

    private static void antialias(float[] x, int images, int h, int w, int c, int top, int left, int cropH,
                                  int cropW, float fill, int outH, int outW, float[] y) {
        final int spanH = spanSize(cropH, outH);
        final int spanW = spanSize(cropW, outW);
        final int[] startH = new int[outH];
        final int[] startW = new int[outW];
        final float[] wh = new float[outH * spanH];
        final float[] ww = new float[outW * spanW];
        triangleSpans(cropH, outH, spanH, startH, wh);
        triangleSpans(cropW, outW, spanW, startW, ww);
        final float[] rows = new float[outH * cropW * c];
        int yo = 0;
        for (int img = 0; img < images; img++) {
            final int xb = img * h * w * c;
            java.util.Arrays.fill(rows, 0f);
            for (int r = 0; r < outH; r++) {
                final int span = Math.min(startH[r] + spanH, cropH) - startH[r];
                for (int k = 0; k < span; k++) {
                    final float wk = wh[r * spanH + k];
                    final int sr = startH[r] + k + top;
                    for (int col = 0; col < cropW; col++) {
                        for (int ch = 0; ch < c; ch++) {
                            rows[(r * cropW + col) * c + ch] += pixel(x, xb, h, w, c, sr, col + left, ch, fill) * wk;
                        }
                    }
                }
            }
            for (int r = 0; r < outH; r++) {
                for (int col = 0; col < outW; col++) {
                    final int span = Math.min(startW[col] + spanW, cropW) - startW[col];
                    for (int ch = 0; ch < c; ch++) {
                        float acc = 0f;
                        for (int k = 0; k < span; k++) {
                            acc += rows[(r * cropW + startW[col] + k) * c + ch] * ww[col * spanW + k];
                        }
                        y[yo++] = acc;
                    }
                }
            }
        }
    }

    /** TensorFlow's span size for the antialiased triangle kernel. */
    private static int spanSize(int in, int out) {
        final float invScale = (float) (1.0 / ((float) out / (float) in));
        return Math.min(2 * (int) Math.ceil(Math.max(invScale, 1f)) + 1, in);
    }

    /** TensorFlow's ComputeSpansCore (triangle kernel, antialias, no translation): starts and weights. */
    private static void triangleSpans(int in, int out, int spanSize, int[] starts, float[] weights) {
        final float invScale = (float) (1.0 / ((float) out / (float) in));
        final float kernelScale = Math.max(invScale, 1f);
        final float oneOverKernelScale = 1f / kernelScale;
        final float[] tmp = new float[spanSize];
        for (int i = 0; i < out; i++) {
            final float sample = (i + 0.5f) * invScale;
            if (sample < 0f || sample > in) {
                continue;
            }
            int s0 = (int) Math.ceil(sample - kernelScale - 0.5f);
            int s1 = (int) Math.floor(sample + kernelScale - 0.5f);
            s0 = Math.min(Math.max(s0, 0), in - 1);
            s1 = Math.min(Math.max(s1, 0), in - 1) + 1;
            float total = 0f;
            for (int src = s0; src < s1; src++) {
                final float pos = Math.abs(((float) src + 0.5f - sample) * oneOverKernelScale);
                final float wgt = pos < 1f ? 1f - pos : 0f;
                total += wgt;
                tmp[src - s0] = wgt;
            }
            if (Math.abs(total) >= 1000f * Float.MIN_NORMAL) {
                final float inv = 1f / total;
                for (int k = 0; k < s1 - s0; k++) {
                    weights[i * spanSize + k] = tmp[k] * inv;
                }
            }
            starts[i] = s0;
        }
    }

    private static int nearest(int i, float scale, int n) {
        final int s = (int) Math.floor((i + 0.5f) * scale);
        return Math.max(Math.min(s, n - 1), 0);
    }

    private static float pixel(float[] x, int base, int h, int w, int c, int r, int col, int ch, float fill) {
        if (r < 0 || r >= h || col < 0 || col >= w) {
            return fill;
        }
        return x[base + (r * w + col) * c + ch];
    }

    /**
     * Keras' AutoContrast with {@code value_range (low, high)}: per image and channel, the
     * values mapped to 0..255 are stretched to span it ({@code clip((v - min) * 255 / (max - min))})
     * and mapped back; a result that is NaN (a constant channel) keeps the input value.
     */
    public static void autoContrast(float[] x, int images, int pixels, int c, float low, float high, float[] y) {
        final boolean map = !(low == 0f && high == 255f);
        final float[] lo = new float[c];
        final float[] hi = new float[c];
        for (int img = 0; img < images; img++) {
            final int base = img * pixels * c;
            java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
            java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
            for (int p = 0; p < pixels; p++) {
                for (int ch = 0; ch < c; ch++) {
                    final float v = toRange(x[base + p * c + ch], low, high, 0f, 255f, map);
                    lo[ch] = Math.min(lo[ch], v);
                    hi[ch] = Math.max(hi[ch], v);
                }
            }
            for (int p = 0; p < pixels; p++) {
                for (int ch = 0; ch < c; ch++) {
                    final int i = base + p * c + ch;
                    final float scale = 255.0f / (hi[ch] - lo[ch]);
                    final float offset = -lo[ch] * scale;
                    float r = toRange(x[i], low, high, 0f, 255f, map) * scale + offset;
                    r = Math.min(Math.max(r, 0f), 255f);
                    r = toRange(r, 0f, 255f, low, high, map);
                    y[i] = Float.isNaN(r) ? x[i] : r;
                }
            }
        }
    }

    /** Keras' _transform_value_range from (a, b) to (c, d), in float32. */
    private static float toRange(float v, float a, float b, float c, float d, boolean map) {
        return map ? (v - a) / (b - a) * (d - c) + c : v;
    }
}
