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

    public ScaleShift(float[] data, int scaleOff, int shiftOff, int channels) {
        Check.slice(data, scaleOff, channels, "BatchNormalization scale");
        Check.slice(data, shiftOff, channels, "BatchNormalization shift");
        this.scale = Weights.copy(data, scaleOff, channels, "BatchNormalization scale");
        this.shift = Weights.copy(data, shiftOff, channels, "BatchNormalization shift");
        this.channels = channels;
    }

    /** The shape is viewed as {@code (outer, channels, inner)}; {@code c} indexes the channels. */
    public void forward(float[] x, int outer, int inner, float[] y) {
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
