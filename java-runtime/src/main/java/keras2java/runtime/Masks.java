package keras2java.runtime;

/** Keras masks as one float per timestep: 1 = keep, 0 = masked. */
public final class Masks {
    private Masks() {
    }

    /**
     * Keras Masking: a timestep is kept when any of its {@code features}
     * values differs from {@code maskValue}.
     */
    public static void notEqual(float[] x, int xOff, int steps, int features, float maskValue,
                                float[] mask, int mOff) {
        for (int t = 0; t < steps; t++) {
            float keep = 0f;
            final int o = xOff + t * features;
            for (int j = 0; j < features; j++) {
                if (x[o + j] != maskValue) {
                    keep = 1f;
                    break;
                }
            }
            mask[mOff + t] = keep;
        }
    }

    /** Embedding mask_zero: a timestep is kept when its token id is not 0. */
    public static void nonZero(float[] ids, int idsOff, int steps, float[] mask, int mOff) {
        for (int t = 0; t < steps; t++) {
            mask[mOff + t] = ids[idsOff + t] != 0f ? 1f : 0f;
        }
    }

    /** Masking's output: {@code y = x * mask} per timestep. */
    public static void apply(float[] x, int xOff, int steps, int features, float[] mask, int mOff,
                             float[] y, int yOff) {
        for (int t = 0; t < steps; t++) {
            final float m = mask[mOff + t];
            final int o = t * features;
            for (int j = 0; j < features; j++) {
                y[yOff + o + j] = x[xOff + o + j] * m;
            }
        }
    }
}
