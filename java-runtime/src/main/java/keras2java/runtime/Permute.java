package keras2java.runtime;

/** Keras Permute: a transpose of the axes after the batch axis. */
public final class Permute {
    private Permute() {
    }

    /**
     * Keras Permute: {@code y} has axes {@code perm} of {@code x}'s row-major
     * {@code shape}.  Output row by output row (the last output axis): the
     * row's start in {@code x} from its index, then a strided copy.
     */
    public static void apply(float[] x, int[] shape, int[] perm, float[] y) {
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
}
