package keras2java.runtime;

/**
 * An {@code (in, out)} weight matrix with an optional bias, packed once for
 * the active {@link Kernels}: every product of data with a weight matrix in
 * the runtime goes through this class.  Built once per model class and shared
 * by all instances (immutable).  A product over more than {@link #LONG} inputs
 * runs as products of {@link #SLICE} inputs whose sums are added in turn.
 */
public final class Linear {
    /**
     * Products over more than this many inputs add them in {@link #SLICE}s (see {@link #slices}).
     */
    static final int LONG = 1024;

    /** Inputs per slice of a long product. */
    static final int SLICE = 256;

    /** Rows per pass of a long product (bounds its per-thread buffers: {@code ROWS * (SLICE + out)} floats). */
    private static final int ROWS = 256;

    private final int in;
    private final int out;
    /**
     * For more than {@link #LONG} inputs, the matrix in slices of {@link #SLICE} inputs (the bias with
     * the first), else null.  Every output is then the bias plus the first slice's products added one
     * input at a time, and each later slice's sum, from zero, added in turn: a two-level sum, whose
     * float32 rounding error grows with {@code SLICE + in / SLICE} where one running sum's grows with
     * {@code in}.  Measured against Keras (a Dense over 5000 inputs, weights within +-0.5, inputs within
     * +-1): one running sum was 1.9e-5 from Keras and 1.9e-5 from the float64 result, where Keras itself
     * is 5.9e-6 from it; in slices, 5.9e-6 and 6.9e-6.  Only products this long change (their bits
     * too).  Every path (one row, many rows, transposed, threads) takes the same slices, so a row's
     * bits still do not depend on the rows computed with it.
     */
    private final Linear[] slices;
    /** {@link Kernels#pack} of the matrix. */
    private final float[][] w;
    /** {@link Kernels#packBias} of the bias (zeros without one). */
    private final float[] bias;
    /**
     * The matrix transposed ({@code out} rows of {@code in}) and the plain bias, for
     * {@link Kernels#matmulT} (narrow matrices, when the active kernels have it), else null.
     */
    private final float[] wT;
    private final float[] plainBias;
    /** A convolution's kernel: {@link #transposes} asks {@link Kernels#transposesPatches}. */
    private final boolean patches;

    /**
     * The {@code (in, out)} row-major matrix at {@code data[off..]} and the
     * bias ({@code out} values) at {@code data[biasOff..]}, or none for
     * {@code biasOff < 0}.
     */
    public Linear(float[] data, int off, int in, int out, int biasOff) {
        this(data, off, out, in, out, biasOff);
    }

    /**
     * Columns {@code [0, out)} of a matrix whose rows are {@code ld} floats
     * apart: row k is {@code data[off + k*ld .. off + k*ld + out)}.
     */
    Linear(float[] data, int off, int ld, int in, int out, int biasOff) {
        this(data, off, ld, in, out, biasOff, false);
    }

    /**
     * A convolution's {@code (in, out)} kernel at {@code data[off..]} with its bias, for transposed
     * patches ({@link #forwardTransposed}) where {@link Kernels#transposesPatches} holds: the copy a
     * convolution that multiplies its rows in place keeps for its pass with a max pooling.  It serves
     * {@link #forwardTransposed} and {@link #transposes} only: it keeps no packed matrix for the other
     * products (the convolution's rows have their own).
     */
    static Linear patches(float[] data, int off, int in, int out, int biasOff) {
        return new Linear(data, off, out, in, out, biasOff, true);
    }

    private Linear(float[] data, int off, int ld, int in, int out, int biasOff, boolean patches) {
        this.patches = patches;
        Check.slice(data, off, in == 0 ? 0 : (in - 1) * ld + out, "kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, out, "bias");
        }
        this.in = in;
        this.out = out;
        if (in > LONG) {
            this.slices = new Linear[(in + SLICE - 1) / SLICE];
            for (int s = 0; s < slices.length; s++) {
                final int k0 = s * SLICE;
                slices[s] = new Linear(data, off + k0 * ld, ld, Math.min(SLICE, in - k0), out, s == 0 ? biasOff : -1,
                        patches);
            }
            this.w = null;
            this.bias = null;
            this.wT = null;
            this.plainBias = null;
            return;
        }
        this.slices = null;
        // a convolution's transposed copy serves forwardTransposed alone: no packed matrix beside it
        this.w = patches ? null : Kernels.ACTIVE.pack(data, off, ld, in, out);
        this.bias = patches ? null : Kernels.ACTIVE.packBias(data, biasOff, out);
        if (transposes(Integer.MAX_VALUE, in, out, patches)) {
            this.wT = new float[in * out];
            for (int k = 0; k < in; k++) {
                for (int j = 0; j < out; j++) {
                    wT[j * in + k] = data[off + k * ld + j];
                }
            }
            this.plainBias = new float[out];
            if (biasOff >= 0) {
                System.arraycopy(data, biasOff, plainBias, 0, out);
            }
        } else {
            this.wT = null;
            this.plainBias = null;
        }
    }

    /**
     * {@code y[r, :] = bias + x[r, :] . W} for {@code n} rows of {@code in} values at {@code x[xOff..]};
     * with intra-op threads, a large product's rows are shared out (each row's bits do not depend on
     * the rows computed with it).
     */
    public void forward(final float[] x, final int xOff, final int n, final float[] y, final int yOff) {
        if (IntraOp.splitsRows(n, in, out) && IntraOp.run(new IntraOp.Job() {
            public void run(int part, int parts) {
                final int r0 = IntraOp.rowShare(n, part, parts);
                final int r1 = IntraOp.rowShare(n, part + 1, parts);
                if (r0 < r1) {
                    forwardAlone(x, xOff + r0 * in, r1 - r0, y, yOff + r0 * out);
                }
            }
        })) {
            return;
        }
        forwardAlone(x, xOff, n, y, yOff);
    }

    private void forwardAlone(float[] x, int xOff, int n, float[] y, int yOff) {
        if (slices != null) {
            forwardSliced(x, xOff, n, y, yOff);
            return;
        }
        if (wT != null && Kernels.ACTIVE.transposes(n, in, out)) {
            Kernels.ACTIVE.matmulT(x, xOff, n, in, wT, plainBias, out, y, yOff);
            return;
        }
        Kernels.ACTIVE.matmul(x, xOff, n, in, w, bias, out, y, yOff);
    }

    /** Whether {@link #forwardTransposed} serves a product of {@code n} rows (the active kernels transpose). */
    boolean transposes(int n) {
        if (slices != null) {
            return slices[0].transposes(n);
        }
        return wT != null && transposes(n, in, out, patches);
    }

    private static boolean transposes(int n, int in, int out, boolean patches) {
        return patches ? Kernels.ACTIVE.transposesPatches(n, in, out) : Kernels.ACTIVE.transposes(n, in, out);
    }

    /**
     * {@link #forward} of {@code n} rows given transposed, as {@link Kernels#matmulTransposed}
     * ({@code t} from {@link Kernels#transposedRows}), columns {@code [j0, j1)} only, written as
     * rows ({@code plane} 0) or as runs {@code plane} floats apart; only where {@link #transposes}.
     */
    void forwardTransposed(float[][] t, int n, float[] y, int yOff, int plane, int j0, int j1) {
        if (slices == null) {
            Kernels.ACTIVE.matmulTransposed(t, n, in, wT, plainBias, out, y, yOff, plane, j0, j1);
            return;
        }
        slices[0].forwardTransposed(java.util.Arrays.copyOfRange(t, 0, SLICE), n, y, yOff, plane, j0, j1);
        final float[] part = buffers(0, n * out)[1];
        for (int s = 1; s < slices.length; s++) {
            final int k0 = s * SLICE;
            slices[s].forwardTransposed(java.util.Arrays.copyOfRange(t, k0, k0 + slices[s].in), n, part, 0, 0, j0, j1);
            if (plane == 0) {
                for (int p = 0; p < n; p++) {
                    add(part, p * out + j0, y, yOff + p * out + j0, j1 - j0);
                }
            } else {
                for (int j = j0; j < j1; j++) {
                    final int yj = yOff + j * plane;
                    for (int p = 0; p < n; p++) {
                        y[yj + p] += part[p * out + j];
                    }
                }
            }
        }
    }

    /**
     * {@code y[yOff + r*ldy ..][0, out) += x[xOff + r*ldx ..][0, in) . W} for {@code rows} rows
     * (the bias is not added): a batch of recurrent steps as one matrix product (rows shared out
     * as in {@link #forward}).
     */
    public void addRows(final float[] x, final int xOff, final int ldx, final int rows, final float[] y,
                        final int yOff, final int ldy) {
        if (IntraOp.splitsRows(rows, in, out) && IntraOp.run(new IntraOp.Job() {
            public void run(int part, int parts) {
                final int r0 = IntraOp.rowShare(rows, part, parts);
                final int r1 = IntraOp.rowShare(rows, part + 1, parts);
                if (r0 < r1) {
                    addRowsAlone(x, xOff + r0 * ldx, ldx, r1 - r0, y, yOff + r0 * ldy, ldy);
                }
            }
        })) {
            return;
        }
        addRowsAlone(x, xOff, ldx, rows, y, yOff, ldy);
    }

    /** {@link #addRows} on this thread; a long product slice by slice ({@link #slices}). */
    private void addRowsAlone(float[] x, int xOff, int ldx, int rows, float[] y, int yOff, int ldy) {
        if (slices == null) {
            Kernels.ACTIVE.gemmAcc(x, xOff, ldx, rows, in, w, out, y, yOff, ldy);
            return;
        }
        for (int r0 = 0; r0 < rows; r0 += ROWS) {
            final int n = Math.min(ROWS, rows - r0);
            final int xr = xOff + r0 * ldx;
            final int yr = yOff + r0 * ldy;
            slices[0].addRowsAlone(x, xr, ldx, n, y, yr, ldy);
            final float[] part = buffers(0, n * out)[1];
            for (int s = 1; s < slices.length; s++) {
                java.util.Arrays.fill(part, 0, n * out, 0f);
                slices[s].addRowsAlone(x, xr + s * SLICE, ldx, n, part, 0, out);
                for (int r = 0; r < n; r++) {
                    add(part, r * out, y, yr + r * ldy, out);
                }
            }
        }
    }

    /**
     * {@code y[yOff .. yOff+out) += v[vOff .. vOff+in) . W} (the bias is not added): one row of
     * {@link #addRows}, so a recurrent step of one sample gives the bits of the same sample in a batch.
     */
    public void addTo(float[] v, int vOff, float[] y, int yOff) {
        if (slices != null) {
            addRowsAlone(v, vOff, 0, 1, y, yOff, 0);
            return;
        }
        Kernels.ACTIVE.gemmAcc(v, vOff, 0, 1, in, w, out, y, yOff, 0);
    }

    /**
     * {@link #forward} of a long product on this thread: per pass of at most {@link #ROWS} rows, each
     * slice's inputs copied out (so each slice runs as a product of its own, on the kernels' fastest path
     * for that many rows), the first slice with the bias straight into {@code y}, each later one from
     * zero and then added.
     */
    private void forwardSliced(float[] x, int xOff, int rows, float[] y, int yOff) {
        for (int r0 = 0; r0 < rows; r0 += ROWS) {
            final int n = Math.min(ROWS, rows - r0);
            final float[][] b = buffers(n * SLICE, n * out);
            final float[] xs = b[0];
            final float[] part = b[1];
            final int yr = yOff + r0 * out;
            for (int s = 0; s < slices.length; s++) {
                final Linear slice = slices[s];
                final int len = slice.in;
                for (int r = 0; r < n; r++) {
                    System.arraycopy(x, xOff + (r0 + r) * in + s * SLICE, xs, r * len, len);
                }
                if (s == 0) {
                    slice.forwardAlone(xs, 0, n, y, yr);
                } else {
                    slice.forwardAlone(xs, 0, n, part, 0);
                    add(part, 0, y, yr, n * out);
                }
            }
        }
    }

    /** {@code y[yOff + i] += a[aOff + i]} for {@code i < len}: a slice's sums added (also {@link Conv2D}'s kernel rows). */
    static void add(float[] a, int aOff, float[] y, int yOff, int len) {
        for (int i = 0; i < len; i++) {
            y[yOff + i] += a[aOff + i];
        }
    }

    /** Per-thread buffers of a long product: its slice's inputs, then its partial sums. */
    private static final ThreadLocal<float[][]> BUFFERS = new ThreadLocal<float[][]>();

    /** This thread's {@link #BUFFERS}, of at least {@code inputs} and {@code partials} floats. */
    private static float[][] buffers(int inputs, int partials) {
        float[][] b = BUFFERS.get();
        if (b == null || b[0].length < inputs || b[1].length < partials) {
            b = new float[][] {new float[Math.max(inputs, b == null ? 0 : b[0].length)],
                new float[Math.max(partials, b == null ? 0 : b[1].length)]};
            BUFFERS.set(b);
        }
        return b;
    }
}
