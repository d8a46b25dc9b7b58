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

    private Resize() {
    }

    /**
     * Resizes the window {@code (top, left, cropH, cropW)} of each image to {@code (outH, outW)};
     * window pixels outside the image read {@code fill} (a negative top or left pads).
     */
    public static void resize(int mode, float[] x, int images, int h, int w, int c, int top, int left, int cropH,
                              int cropW, float fill, int outH, int outW, float[] y) {
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
