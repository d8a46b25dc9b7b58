package keras2java.runtime;

/**
 * LayerNormalization (also with rms_scaling) and UnitNormalization over
 * trailing axes, in Keras' order of operations.  Immutable.
 */
public final class Normalize {
    public static final int LAYER = 0;
    public static final int RMS = 1;
    public static final int UNIT = 2;

    private final int mode;
    private final int n;
    private final float epsilon;
    private final float[] gamma;
    private final float[] beta;

    /**
     * @param n        values normalized together (the product of the normalized axes)
     * @param gammaOff offset of gamma ({@code n} values) in {@code data}, or -1
     * @param betaOff  offset of beta, or -1
     */
    public Normalize(float[] data, int mode, int n, float epsilon, int gammaOff, int betaOff) {
        this.mode = mode;
        this.n = n;
        this.epsilon = epsilon;
        this.gamma = Weights.copy(data, gammaOff, n, "normalization gamma");
        this.beta = Weights.copy(data, betaOff, n, "normalization beta");
    }

    /** Normalizes {@code rows} groups of {@code n} values of {@code x} into {@code y}. */
    public void forward(float[] x, int rows, float[] y) {
        for (int r = 0; r < rows; r++) {
            final int base = r * n;
            if (mode == UNIT) {
                double ss = 0.0;
                for (int i = 0; i < n; i++) {
                    double v = x[base + i];
                    ss += v * v;
                }
                // Keras: x * min(rsqrt(sum(x^2)), 1 / epsilon)
                final float inv = (float) Math.min(1.0 / Math.sqrt((float) ss), 1.0 / epsilon);
                for (int i = 0; i < n; i++) {
                    y[base + i] = x[base + i] * inv;
                }
                continue;
            }
            double sum = 0.0;
            for (int i = 0; i < n; i++) {
                sum += x[base + i];
            }
            final double mean = sum / n;
            double sq = 0.0;
            for (int i = 0; i < n; i++) {
                double d = x[base + i] - mean;
                sq += d * d;
            }
            final float inv = (float) (1.0 / Math.sqrt((float) (sq / n) + epsilon));
            if (mode == RMS) {
                for (int i = 0; i < n; i++) {
                    float v = x[base + i] * inv;
                    y[base + i] = gamma != null ? v * gamma[i] : v;
                }
                continue;
            }
            final float m = (float) mean;
            for (int i = 0; i < n; i++) {
                float a = gamma != null ? inv * gamma[i] : inv;
                float b = -m * a;
                if (beta != null) {
                    b += beta[i];
                }
                y[base + i] = x[base + i] * a + b;
            }
        }
    }
}
