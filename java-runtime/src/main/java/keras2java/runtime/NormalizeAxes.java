package keras2java.runtime;

/**
 * Normalization over any set of axes (LayerNormalization and UnitNormalization
 * over axes that are not the trailing ones, RMSNormalization, GroupNormalization),
 * in Keras' order of operations.  The tensor is seen with the shape {@code dims}
 * (row-major; the first extent may be -1, the variable one, given per call).
 * Every position belongs to one group (the positions that are normalized
 * together) and one parameter index (into gamma and beta): both are linear in
 * the position's coordinates, with the per-axis strides {@code groupStride}
 * (0 along the normalized axes) and {@code paramStride} (0 along the axes the
 * parameters do not run along).  Immutable.
 */
public final class NormalizeAxes {
    /** ops.layer_normalization: (x - mean) * rsqrt(var + eps) * gamma + beta. */
    public static final int LAYER = 0;
    /** LayerNormalization(rms_scaling=True): x * rsqrt(var + eps) * gamma. */
    public static final int RMS_VAR = 1;
    /** RMSNormalization: x * rsqrt(mean(x^2) + eps) * scale. */
    public static final int RMS = 2;
    /** UnitNormalization: x * min(rsqrt(sum(x^2)), 1 / eps). */
    public static final int UNIT = 3;

    private final int mode;
    private final int[] dims;
    private final int[] groupStride;
    private final int[] paramStride;
    private final float epsilon;
    private final float[] gamma;
    private final float[] beta;

    /**
     * @param gammaOff offset of gamma in {@code data}, or -1
     * @param betaOff  offset of beta, or -1
     */
    public NormalizeAxes(float[] data, int mode, int[] dims, int[] groupStride, int[] paramStride, float epsilon,
                         int gammaOff, int betaOff) {
        this.mode = mode;
        this.dims = dims.clone();
        this.groupStride = groupStride.clone();
        this.paramStride = paramStride.clone();
        this.epsilon = epsilon;
        int params = 1;
        for (int a = 0; a < dims.length; a++) {
            if (paramStride[a] != 0) {
                params *= dims[a];
            }
        }
        this.gamma = Weights.copy(data, gammaOff, params, "normalization gamma");
        this.beta = Weights.copy(data, betaOff, params, "normalization beta");
    }

    /** Normalizes {@code x} into {@code y}; {@code lead} is the extent of the first axis. */
    public void forward(float[] x, int lead, float[] y) {
        final int rank = dims.length;
        final int[] d = dims.clone();
        if (rank > 0) {
            d[0] = lead;
        }
        int total = 1;
        int groups = 1;
        for (int a = 0; a < rank; a++) {
            total *= d[a];
            if (groupStride[a] != 0) {
                groups *= d[a];
            }
        }
        if (total == 0) {
            return;
        }
        final double count = (double) total / groups;
        final double[] sum = new double[groups];
        final double[] sq = new double[groups];
        final int[] c = new int[rank];
        final int[] gp = new int[2];
        final boolean squares = mode == RMS || mode == UNIT;
        for (int i = 0; i < total; i++) {
            double v = x[i];
            sum[gp[0]] += v;
            if (squares) {
                sq[gp[0]] += v * v;
            }
            advance(c, d, gp);
        }
        if (!squares) {
            java.util.Arrays.fill(c, 0);
            gp[0] = 0;
            gp[1] = 0;
            for (int i = 0; i < total; i++) {
                double dv = x[i] - sum[gp[0]] / count;
                sq[gp[0]] += dv * dv;
                advance(c, d, gp);
            }
        }
        final float[] inv = new float[groups];
        final float[] mean = new float[groups];
        for (int g = 0; g < groups; g++) {
            mean[g] = (float) (sum[g] / count);
            if (mode == UNIT) {
                inv[g] = (float) Math.min(1.0 / Math.sqrt((float) sq[g]), 1.0 / epsilon);
            } else {
                inv[g] = (float) (1.0 / Math.sqrt((float) (sq[g] / count) + epsilon));
            }
        }
        java.util.Arrays.fill(c, 0);
        gp[0] = 0;
        gp[1] = 0;
        for (int i = 0; i < total; i++) {
            final int g = gp[0];
            final int p = gp[1];
            if (mode == LAYER) {
                float a = gamma != null ? inv[g] * gamma[p] : inv[g];
                float b = -mean[g] * a;
                if (beta != null) {
                    b += beta[p];
                }
                y[i] = x[i] * a + b;
            } else {
                float v = x[i] * inv[g];
                y[i] = gamma != null ? v * gamma[p] : v;
            }
            advance(c, d, gp);
        }
    }

    /** Steps the coordinates {@code c} to the next position, updating its group and parameter index. */
    private void advance(int[] c, int[] d, int[] gp) {
        for (int a = c.length - 1; a >= 0; a--) {
            c[a]++;
            gp[0] += groupStride[a];
            gp[1] += paramStride[a];
            if (c[a] < d[a]) {
                return;
            }
            gp[0] -= groupStride[a] * d[a];
            gp[1] -= paramStride[a] * d[a];
            c[a] = 0;
        }
    }
}
