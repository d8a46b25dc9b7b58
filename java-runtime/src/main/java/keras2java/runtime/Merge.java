package keras2java.runtime;

/** Keras merge layers: Concatenate and elementwise Add, Subtract, Multiply, Average, Maximum, Minimum. */
public final class Merge {
    public static final int ADD = 0;
    public static final int SUBTRACT = 1;
    public static final int MULTIPLY = 2;
    public static final int AVERAGE = 3;
    public static final int MAXIMUM = 4;
    public static final int MINIMUM = 5;

    private Merge() {
    }

    /**
     * Concatenates {@code outer} blocks: block o of the output is block o of
     * every input in turn, input i contributing {@code parts[i]} floats per block.
     */
    public static void concatenate(float[][] xs, int[] parts, int outer, float[] y) {
        int width = 0;
        for (int p : parts) {
            width += p;
        }
        for (int o = 0; o < outer; o++) {
            int pos = o * width;
            for (int i = 0; i < xs.length; i++) {
                System.arraycopy(xs[i], o * parts[i], y, pos, parts[i]);
                pos += parts[i];
            }
        }
    }

    /** {@code y[0..n)} = the elementwise merge of the inputs, in Keras' order of operations. */
    public static void elementwise(int mode, float[][] xs, int n, float[] y) {
        System.arraycopy(xs[0], 0, y, 0, n);
        for (int i = 1; i < xs.length; i++) {
            final float[] x = xs[i];
            switch (mode) {
                case ADD:
                case AVERAGE:
                    for (int j = 0; j < n; j++) {
                        y[j] += x[j];
                    }
                    break;
                case SUBTRACT:
                    for (int j = 0; j < n; j++) {
                        y[j] -= x[j];
                    }
                    break;
                case MULTIPLY:
                    for (int j = 0; j < n; j++) {
                        y[j] *= x[j];
                    }
                    break;
                case MAXIMUM:
                    for (int j = 0; j < n; j++) {
                        y[j] = Math.max(y[j], x[j]);
                    }
                    break;
                case MINIMUM:
                    for (int j = 0; j < n; j++) {
                        y[j] = Math.min(y[j], x[j]);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown merge mode " + mode);
            }
        }
        if (mode == AVERAGE) {
            final float k = xs.length;
            for (int j = 0; j < n; j++) {
                y[j] /= k;
            }
        }
    }
}
