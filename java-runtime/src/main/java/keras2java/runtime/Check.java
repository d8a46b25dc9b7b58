package keras2java.runtime;

/** Argument checks with messages that say what was expected. */
public final class Check {
    private Check() {
    }

    /** Checks the number of model inputs passed to {@code predictAll}. */
    public static void inputCount(float[][] inputs, int expected) {
        if (inputs == null) {
            throw new IllegalArgumentException("inputs is null; expected " + expected + " input array(s)");
        }
        if (inputs.length != expected) {
            throw new IllegalArgumentException("expected " + expected + " input array(s), got " + inputs.length);
        }
    }

    /** Checks a fixed-size input and returns its length. */
    public static int fixed(float[] x, int length, String name, String shape) {
        if (x == null) {
            throw new IllegalArgumentException(name + " is null; expected " + length + " floats for shape " + shape);
        }
        if (x.length != length) {
            throw new IllegalArgumentException(name + ": expected shape " + shape + " = " + length
                    + " floats, got " + x.length + " floats");
        }
        return length;
    }

    /**
     * Checks an input with a variable number of timesteps and returns the
     * number of timesteps (at least 1).
     */
    public static int timesteps(float[] x, int perStep, String name, String shape) {
        if (x == null) {
            throw new IllegalArgumentException(name + " is null; expected shape " + shape);
        }
        if (x.length == 0) {
            throw new IllegalArgumentException(name + " is empty; expected shape " + shape
                    + " with at least one timestep");
        }
        if (x.length % perStep != 0) {
            throw new IllegalArgumentException(name + ": expected shape " + shape + " (a multiple of "
                    + perStep + " floats), got " + x.length + " floats");
        }
        return x.length / perStep;
    }

    /** Flattens a {@code [timesteps][features]} array, checking every row. */
    public static float[] flatten(float[][] x, int features, String name) {
        if (x == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        float[] out = new float[x.length * features];
        for (int t = 0; t < x.length; t++) {
            if (x[t] == null || x[t].length != features) {
                throw new IllegalArgumentException(name + ": row " + t + " has "
                        + (x[t] == null ? "null" : x[t].length + " floats") + ", expected " + features + " features");
            }
            System.arraycopy(x[t], 0, out, t * features, features);
        }
        return out;
    }

    /**
     * Flattens a {@code [height][width][channels]} array whose rows all have the same width,
     * checking every pixel.
     */
    public static float[] flatten(float[][][] x, int channels, String name) {
        if (x == null || x.length == 0 || x[0] == null || x[0].length == 0) {
            throw new IllegalArgumentException(name + " is null or empty; expected [height][width][" + channels + "]");
        }
        final int w = x[0].length;
        final float[] out = new float[x.length * w * channels];
        for (int r = 0; r < x.length; r++) {
            if (x[r] == null || x[r].length != w) {
                throw new IllegalArgumentException(name + ": row " + r + " has "
                        + (x[r] == null ? "null" : x[r].length + " pixels") + ", expected " + w + " (as row 0)");
            }
            for (int c = 0; c < w; c++) {
                if (x[r][c] == null || x[r][c].length != channels) {
                    throw new IllegalArgumentException(name + ": pixel (" + r + ", " + c + ") has "
                            + (x[r][c] == null ? "null" : x[r][c].length + " floats") + ", expected " + channels
                            + " channels");
                }
                System.arraycopy(x[r][c], 0, out, (r * w + c) * channels, channels);
            }
        }
        return out;
    }

    /**
     * Checks the shape passed with input {@code i}, which has several variable axes:
     * {@code shapes[i]} must have the rank of {@code expected}, its fixed sizes, and a size
     * of at least 1 on each variable axis ({@code -1} in {@code expected}).
     */
    public static void shape(int[][] shapes, int i, int[] expected, String name, String shape) {
        if (shapes == null || i >= shapes.length || shapes[i] == null) {
            throw new IllegalArgumentException(name + " has shape " + shape + " with several variable axes: "
                    + "pass its shape with it (predict(float[], int[]) or predictAll(float[][], int[][]))");
        }
        final int[] s = shapes[i];
        boolean ok = s.length == expected.length;
        for (int k = 0; ok && k < s.length; k++) {
            ok = s[k] >= 1 && (expected[k] < 0 || s[k] == expected[k]);
        }
        if (!ok) {
            throw new IllegalArgumentException(name + ": expected shape " + shape + ", got the shape "
                    + java.util.Arrays.toString(s));
        }
    }

    /** Inputs merged by one layer must have the same size along a variable axis. */
    public static void sameExtent(int a, int b, int axis, String layer) {
        if (a != b) {
            throw new IllegalArgumentException(layer + ": merged inputs must have the same size along axis "
                    + (axis + 1) + " (counting the batch axis), got " + a + " and " + b);
        }
    }

    /** Inputs merged by one layer must have the same number of timesteps. */
    public static void sameSteps(int[] steps, String layer) {
        for (int s : steps) {
            if (s != steps[0]) {
                throw new IllegalArgumentException(layer + ": merged inputs must have the same number of timesteps, got "
                        + java.util.Arrays.toString(steps));
            }
        }
    }

    /** Checks that a weight slice lies inside the weight array. */
    static void slice(float[] data, int off, int len, String what) {
        if (data == null || off < 0 || len < 0 || off > data.length - len) {
            throw new IllegalStateException(what + ": slice [" + off + ", +" + len + ") is outside the weights");
        }
    }

    /** A buffer of at least {@code n} floats: {@code buf} itself if large enough. */
    public static float[] ensure(float[] buf, int n) {
        return buf.length >= n ? buf : new float[n];
    }
}
