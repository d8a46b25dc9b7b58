package keras2java.runtime;

/**
 * Keras MaxPooling1D / AveragePooling1D and their global forms on
 * {@code (steps, channels)} rows.  {@code same} padding pads as TensorFlow
 * does, and padded positions never count (the average divides by the number
 * of real steps in the window).
 */
public final class Pool1D {
    public static final int MAX = 0;
    public static final int AVG = 1;

    private Pool1D() {
    }

    /** The number of output steps; rejects inputs shorter than a valid window. */
    public static int outSteps(int steps, int pool, int strides, boolean same, String layer) {
        if (same) {
            return (steps + strides - 1) / strides;
        }
        if (steps < pool) {
            throw new IllegalArgumentException(layer + " needs at least " + pool + " timesteps, got " + steps);
        }
        return (steps - pool) / strides + 1;
    }

    /** Windowed pooling of {@code steps} rows of {@code channels} into {@code outSteps} rows. */
    public static void pool(int mode, float[] x, int steps, int channels, int pool, int strides, boolean same,
                            float[] y, int outSteps) {
        poolBatch(mode, x, 1, steps, channels, pool, strides, same, y, outSteps);
    }

    /** {@link #pool} on {@code nb} sequences one after the other in {@code x} (and in {@code y}). */
    public static void poolBatch(int mode, float[] x, int nb, int steps, int channels, int pool, int strides,
                                 boolean same, float[] y, int outSteps) {
        for (int b = 0; b < nb; b++) {
            pool(mode, x, b * steps * channels, steps, channels, pool, strides, same, y, b * outSteps * channels,
                    outSteps);
        }
    }

    private static void pool(int mode, float[] x, int xOff, int steps, int channels, int pool, int strides,
                             boolean same, float[] y, int yOff, int outSteps) {
        final int pad = same ? Math.max((outSteps - 1) * strides + pool - steps, 0) / 2 : 0;
        for (int t = 0; t < outSteps; t++) {
            final int start = Math.max(t * strides - pad, 0);
            final int end = Math.min(t * strides - pad + pool, steps);
            final int yb = yOff + t * channels;
            for (int c = 0; c < channels; c++) {
                if (mode == MAX) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int s = start; s < end; s++) {
                        m = max(m, x[xOff + s * channels + c]);
                    }
                    y[yb + c] = m;
                } else {
                    float sum = 0f;
                    for (int s = start; s < end; s++) {
                        sum += x[xOff + s * channels + c];
                    }
                    y[yb + c] = sum / (end - start);
                }
            }
        }
    }

    /** Pooling over all steps: max, mean, or (with a mask) the mean over unmasked steps. */
    public static void global(int mode, float[] x, int steps, int channels, float[] mask, float[] y) {
        global(mode, x, 0, steps, channels, mask, y, 0);
    }

    /** {@link #global} without a mask on {@code nb} sequences one after the other in {@code x}. */
    public static void globalBatch(int mode, float[] x, int nb, int steps, int channels, float[] y) {
        for (int b = 0; b < nb; b++) {
            global(mode, x, b * steps * channels, steps, channels, null, y, b * channels);
        }
    }

    private static void global(int mode, float[] x, int xOff, int steps, int channels, float[] mask, float[] y,
                               int yOff) {
        if (mode == MAX) {
            for (int c = 0; c < channels; c++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < steps; s++) {
                    m = max(m, x[xOff + s * channels + c]);
                }
                y[yOff + c] = m;
            }
            return;
        }
        float count = 0f;
        for (int s = 0; s < steps; s++) {
            count += mask == null ? 1f : mask[s];
        }
        for (int c = 0; c < channels; c++) {
            float sum = 0f;
            for (int s = 0; s < steps; s++) {
                if (mask == null || mask[s] != 0f) {
                    sum += x[xOff + s * channels + c];
                }
            }
            y[yOff + c] = sum / count;
        }
    }

    /** Like TensorFlow's max: NaN wins. */
    private static float max(float a, float b) {
        return (a >= b || a != a) ? a : b;
    }
}
