package keras2java.runtime;

/**
 * Layers that change only the timestep axis of {@code (steps, features)} and move
 * whole steps: RepeatVector, UpSampling1D, ZeroPadding1D and Cropping1D (the ops'
 * {@code TimeResampleOp}).
 */
public final class TimeResample {
    private TimeResample() {
    }

    /** RepeatVector: {@code n} copies of the {@code width} values of {@code x}. */
    public static void repeat(float[] x, int width, int n, float[] y) {
        for (int t = 0; t < n; t++) {
            System.arraycopy(x, 0, y, t * width, width);
        }
    }

    /** UpSampling1D: every step repeated {@code size} times. */
    public static void upsample(float[] x, int steps, int width, int size, float[] y) {
        for (int t = 0; t < steps; t++) {
            for (int r = 0; r < size; r++) {
                System.arraycopy(x, t * width, y, (t * size + r) * width, width);
            }
        }
    }

    /** ZeroPadding1D: {@code before} and {@code after} zero steps around {@code steps} steps. */
    public static void pad(float[] x, int steps, int width, int before, int after, float[] y) {
        java.util.Arrays.fill(y, 0, before * width, 0f);
        System.arraycopy(x, 0, y, before * width, steps * width);
        java.util.Arrays.fill(y, (before + steps) * width, (before + steps + after) * width, 0f);
    }

    /** Cropping1D: the {@code kept} steps after the first {@code before}. */
    public static void crop(float[] x, int width, int before, int kept, float[] y) {
        System.arraycopy(x, before * width, y, 0, kept * width);
    }

    /** The number of steps Cropping1D keeps; rejects inputs that would become empty. */
    public static int cropSteps(int steps, int before, int after, String layer) {
        final int kept = steps - before - after;
        if (kept < 1) {
            throw new IllegalArgumentException(layer + " crops " + (before + after) + " timesteps and needs at least "
                    + (before + after + 1) + ", got " + steps);
        }
        return kept;
    }
}
