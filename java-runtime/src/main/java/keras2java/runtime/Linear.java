package keras2java.runtime;

/**
 * An {@code (in, out)} weight matrix with an optional bias, held in the form
 * the active {@link Kernels} read: row arrays for the portable kernels, or
 * packed panels for the vector kernels.  Built once per model class and
 * shared by all instances (immutable).
 */
public final class Linear {
    private final int in;
    private final int out;
    /** Row arrays (portable kernels), or null. */
    private final float[][] rows;
    /** Zero-offset bias of length {@code out}, or null (portable kernels). */
    private final float[] bias;
    /** {@link Kernels#pack} of the matrix (vector kernels), or null. */
    private final float[] packed;
    /** The bias (zeros without one) padded the same way (vector kernels), or null. */
    private final float[] packedBias;

    /**
     * The {@code (in, out)} row-major matrix at {@code data[off..]} and the
     * bias ({@code out} values) at {@code data[biasOff..]}, or none for
     * {@code biasOff < 0}.
     */
    public Linear(float[] data, int off, int in, int out, int biasOff) {
        Check.slice(data, off, in * out, "kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, out, "bias");
        }
        this.in = in;
        this.out = out;
        if (Kernels.VECTOR != null) {
            this.rows = null;
            this.bias = null;
            this.packed = Kernels.VECTOR.pack(data, off, in, out);
            this.packedBias = biasOff >= 0 ? Kernels.VECTOR.pack(data, biasOff, 1, out)
                    : Kernels.VECTOR.pack(new float[out], 0, 1, out);
        } else {
            this.rows = MatMul.rows(data, off, in, out);
            this.bias = MatMul.bias(data, biasOff, out);
            this.packed = null;
            this.packedBias = null;
        }
    }

    /** {@code y[r, :] = bias + x[r, :] . W} for {@code n} rows of {@code in} values at {@code x[xOff..]}. */
    public void forward(float[] x, int xOff, int n, float[] y, int yOff) {
        if (packed != null) {
            Kernels.VECTOR.matmulPacked(x, xOff, n, in, packed, packedBias, out, y, yOff);
        } else {
            MatMul.matmulBiasRows(x, xOff, n, in, rows, bias, out, y, yOff);
        }
    }

    /** {@code y[yOff .. yOff+out) += v[vOff .. vOff+in) . W} (the bias is not added). */
    public void addTo(float[] v, int vOff, float[] y, int yOff) {
        if (packed != null) {
            Kernels.VECTOR.addVecMatPacked(v, vOff, in, packed, out, y, yOff);
        } else {
            MatMul.addVecMatRows(v, vOff, in, rows, out, y, yOff);
        }
    }
}
