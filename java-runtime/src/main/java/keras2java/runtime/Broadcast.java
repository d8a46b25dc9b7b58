package keras2java.runtime;

/**
 * Elementwise multiply or add of two tensors with numpy broadcasting, e.g.
 * {@code (T, F) * (T, 1)}.  The generator aligns both shapes with the output's,
 * drops axes of size 1 and merges adjacent axes that both inputs walk
 * contiguously (or both repeat), so the object holds only the output sizes and
 * each input's stride per axis (0 where it is broadcast).  The first size may
 * be -1: the variable number of timesteps, passed to each call.  Immutable
 * (shared by all model instances); calls never allocate.
 */
public final class Broadcast {
    public static final int ADD = 0;
    public static final int MULTIPLY = 1;

    private final int mode;
    private final int[] dims;
    private final int[] strideA;
    private final int[] strideB;
    private final int[] strideY;

    /**
     * @param mode    {@link #ADD} or {@link #MULTIPLY}
     * @param dims    output sizes per axis; {@code dims[0]} may be -1 (the call's timesteps)
     * @param strideA stride of input a along each axis, 0 where a is broadcast
     * @param strideB stride of input b along each axis, 0 where b is broadcast
     */
    public Broadcast(int mode, int[] dims, int[] strideA, int[] strideB) {
        if (mode != ADD && mode != MULTIPLY) {
            throw new IllegalArgumentException("unknown broadcast mode " + mode);
        }
        if (dims.length == 0 || strideA.length != dims.length || strideB.length != dims.length) {
            throw new IllegalArgumentException("broadcast layout: " + dims.length + " sizes, " + strideA.length
                    + " and " + strideB.length + " strides");
        }
        this.mode = mode;
        this.dims = dims.clone();
        this.strideA = strideA.clone();
        this.strideB = strideB.clone();
        this.strideY = new int[dims.length];
        int s = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            strideY[d] = s;
            if (d > 0 && dims[d] < 1) {
                throw new IllegalArgumentException("broadcast layout: only the first size may be variable");
            }
            s *= Math.max(dims[d], 1);
        }
    }

    /** {@code y = a (op) b}; {@code steps} is the size of a variable first axis (ignored otherwise). */
    public void apply(float[] a, float[] b, int steps, float[] y) {
        loop(0, a, 0, b, 0, y, 0, steps);
    }

    private void loop(int d, float[] a, int oa, float[] b, int ob, float[] y, int oy, int steps) {
        final int n = dims[d] < 0 ? steps : dims[d];
        final int sa = strideA[d];
        final int sb = strideB[d];
        if (d == dims.length - 1) {
            if (mode == MULTIPLY) {
                for (int i = 0; i < n; i++) {
                    y[oy + i] = a[oa + i * sa] * b[ob + i * sb];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    y[oy + i] = a[oa + i * sa] + b[ob + i * sb];
                }
            }
            return;
        }
        final int sy = strideY[d];
        for (int i = 0; i < n; i++) {
            loop(d + 1, a, oa + i * sa, b, ob + i * sb, y, oy + i * sy, steps);
        }
    }
}
