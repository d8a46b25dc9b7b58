package keras2java.runtime;

/**
 * BatchNormalization at inference: {@code y = x * scale[c] + shift[c]} along
 * one axis, with {@code scale = gamma * rsqrt(variance + epsilon)} and
 * {@code shift = beta - mean * scale} precomputed by the generator exactly as
 * {@code tf.nn.batch_normalization} computes them.  Immutable.
 */
public final class ScaleShift {
    private final float[] scale;
    private final float[] shift;
    private final int channels;
    /**
     * {@link #scale} and {@link #shift} repeated over {@link #PERIOD} floats or more (whole
     * copies), for the channels-last case: long loops that HotSpot vectorizes instead of a loop
     * of one value per channel.
     */
    private final float[] tiledScale;
    private final float[] tiledShift;

    /** Floats per pass of the channels-last loop, at least. */
    private static final int PERIOD = 256;

    public ScaleShift(float[] data, int scaleOff, int shiftOff, int channels) {
        Check.slice(data, scaleOff, channels, "BatchNormalization scale");
        Check.slice(data, shiftOff, channels, "BatchNormalization shift");
        this.scale = Weights.copy(data, scaleOff, channels, "BatchNormalization scale");
        this.shift = Weights.copy(data, shiftOff, channels, "BatchNormalization shift");
        this.channels = channels;
        final int copies = Math.max(1, (PERIOD + channels - 1) / Math.max(1, channels));
        this.tiledScale = new float[copies * channels];
        this.tiledShift = new float[copies * channels];
        for (int k = 0; k < copies; k++) {
            System.arraycopy(scale, 0, tiledScale, k * channels, channels);
            System.arraycopy(shift, 0, tiledShift, k * channels, channels);
        }
    }

    /**
     * Over the channels of {@code images} images of {@code pixels} pixels: channels last, or one
     * plane per channel where {@code planes} (a frame chain's channel-plane link, see
     * {@link Conv2D#planes(Conv2D, int, Conv2D, int)}).  The same values either way.
     */
    public void forwardPixels(float[] x, int images, int pixels, float[] y, boolean planes) {
        if (planes) {
            forward(x, images, pixels, y);
        } else {
            forward(x, images * pixels, 1, y);
        }
    }

    /** The shape is viewed as {@code (outer, channels, inner)}; {@code c} indexes the channels. */
    public void forward(float[] x, int outer, int inner, float[] y) {
        if (inner == 1) {
            // channels last: passes over whole periods of the tiled factors (the same x * a + b)
            final int total = outer * channels;
            final int period = tiledScale.length;
            for (int base = 0; base < total; base += period) {
                final int len = Math.min(period, total - base);
                for (int i = 0; i < len; i++) {
                    y[base + i] = x[base + i] * tiledScale[i] + tiledShift[i];
                }
            }
            return;
        }
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                final float a = scale[c];
                final float b = shift[c];
                final int base = (o * channels + c) * inner;
                for (int i = 0; i < inner; i++) {
                    y[base + i] = x[base + i] * a + b;
                }
            }
        }
    }
}
