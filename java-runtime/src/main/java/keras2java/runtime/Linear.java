package keras2java.runtime;

/**
 * An {@code (in, out)} weight matrix with an optional bias, packed once for
 * the active {@link Kernels}: every product of data with a weight matrix in
 * the runtime goes through this class.  Built once per model class and shared
 * by all instances (immutable).
 */
public final class Linear {
    private final int in;
    private final int out;
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
        Check.slice(data, off, in == 0 ? 0 : (in - 1) * ld + out, "kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, out, "bias");
        }
        this.in = in;
        this.out = out;
        this.w = Kernels.ACTIVE.pack(data, off, ld, in, out);
        this.bias = Kernels.ACTIVE.packBias(data, biasOff, out);
        if (Kernels.ACTIVE.transposes(Integer.MAX_VALUE, in, out)) {
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
        if (wT != null && Kernels.ACTIVE.transposes(n, in, out)) {
            Kernels.ACTIVE.matmulT(x, xOff, n, in, wT, plainBias, out, y, yOff);
            return;
        }
        Kernels.ACTIVE.matmul(x, xOff, n, in, w, bias, out, y, yOff);
    }

    /** Whether {@link #forwardTransposed} serves a product of {@code n} rows (the active kernels transpose). */
    boolean transposes(int n) {
        return wT != null && Kernels.ACTIVE.transposes(n, in, out);
    }

    /**
     * {@link #forward} of {@code n} rows given transposed, as {@link Kernels#matmulTransposed}
     * ({@code t} from {@link Kernels#transposedRows}), columns {@code [j0, j1)} only, written as
     * rows ({@code plane} 0) or as runs {@code plane} floats apart; only where {@link #transposes}.
     */
    void forwardTransposed(float[][] t, int n, float[] y, int yOff, int plane, int j0, int j1) {
        Kernels.ACTIVE.matmulTransposed(t, n, in, wT, plainBias, out, y, yOff, plane, j0, j1);
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
                    Kernels.ACTIVE.gemmAcc(x, xOff + r0 * ldx, ldx, r1 - r0, in, w, out, y, yOff + r0 * ldy, ldy);
                }
            }
        })) {
            return;
        }
        Kernels.ACTIVE.gemmAcc(x, xOff, ldx, rows, in, w, out, y, yOff, ldy);
    }

    /**
     * {@code y[yOff .. yOff+out) += v[vOff .. vOff+in) . W} (the bias is not added): one row of
     * {@link #addRows}, so a recurrent step of one sample gives the bits of the same sample in a batch.
     */
    public void addTo(float[] v, int vOff, float[] y, int yOff) {
        Kernels.ACTIVE.gemmAcc(v, vOff, 0, 1, in, w, out, y, yOff, 0);
    }
}
