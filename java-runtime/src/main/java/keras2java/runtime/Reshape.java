package keras2java.runtime;

/**
 * Layers that move data without arithmetic: Permute, RepeatVector, UpSampling1D, ZeroPadding1D, Cropping1D,
 * and the timestep count of a Reshape of a variable-length input.
 */
public final class Reshape {
    private Reshape() {
    }

    /**
     * Keras Permute: {@code y} has axes {@code perm} of {@code x}'s row-major
     * {@code shape}.  Output row by output row (the last output axis): the
     * row's start in {@code x} from its index, then a strided copy.
     */
    public static void permute(float[] x, int[] shape, int[] perm, float[] y) {
        final int rank = shape.length;
        final int last = perm[rank - 1];
        final int width = shape[last];
        final int step = stride(shape, last);
        int total = 1;
        for (int d : shape) {
            total *= d;
        }
        for (int row = 0, i = 0; i < total; row++) {
            int src = 0;
            int rest = row;
            for (int a = rank - 2; a >= 0; a--) {
                final int d = shape[perm[a]];
                src += (rest % d) * stride(shape, perm[a]);
                rest /= d;
            }
            for (int c = 0; c < width; c++, i++) {
                y[i] = x[src + c * step];
            }
        }
    }

    /** Floats between neighbours along {@code axis} of a row-major {@code shape}. */
    private static int stride(int[] shape, int axis) {
        int s = 1;
        for (int a = axis + 1; a < shape.length; a++) {
            s *= shape[a];
        }
        return s;
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

    /**
     * The timesteps of a Keras {@code Reshape((-1, ...))} of an input with a variable number of
     * timesteps (the data is unchanged): {@code steps * ratioIn / ratioOut}, which needs
     * {@code steps} to be a multiple of {@code ratioOut} (the per-step sizes' ratio in lowest terms).
     */
    public static int reshapeSteps(int steps, int ratioIn, int ratioOut, String layer, String inShape,
                                   String outShape) {
        if (steps % ratioOut != 0) {
            throw new IllegalArgumentException(layer + " reshapes " + inShape + " to " + outShape
                    + " and needs a number of timesteps that is a multiple of " + ratioOut + ", got " + steps);
        }
        return steps / ratioOut * ratioIn;
    }
}
