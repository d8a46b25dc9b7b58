package keras2java.runtime;

/**
 * Keras Attention ({@code score_mode} dot or concat) and AdditiveAttention on
 * a query {@code (tq, d)}, a value {@code (tv, dv)} and a key {@code (tv, d)}
 * (the value itself when there is no key), in Keras' order of operations:
 * scores, the causal mask and the value's Keras mask (masked scores lowered
 * by 1e9 once, as both Keras 3 and tf-keras do), softmax over the value steps,
 * weighted sum of the values, and output rows at masked query steps set to 0
 * (the scores returned are not).  Immutable.
 */
public final class Attention {
    public static final int DOT = 0;
    public static final int CONCAT = 1;
    public static final int ADDITIVE = 2;

    private final int mode;
    private final int d;
    private final int dv;
    private final boolean causal;
    private final float scale;          // Attention: scalar (1 when unused)
    private final boolean hasScale;
    private final float[] scaleVector;  // AdditiveAttention: (d,), or null
    private final float concatWeight;

    /**
     * @param scaleOff  offset of the scale (a scalar, or {@code d} values for AdditiveAttention), or -1
     * @param concatOff offset of the concat score weight (score_mode concat), or -1
     */
    public Attention(float[] data, int mode, int d, int dv, boolean causal, int scaleOff, int concatOff) {
        this.mode = mode;
        this.d = d;
        this.dv = dv;
        this.causal = causal;
        this.hasScale = scaleOff >= 0;
        this.scale = hasScale && mode != ADDITIVE ? data[scaleOff] : 1f;
        this.scaleVector = hasScale && mode == ADDITIVE
                ? Weights.copy(data, scaleOff, d, "AdditiveAttention scale") : null;
        this.concatWeight = concatOff >= 0 ? data[concatOff] : 1f;
    }

    /** Floats of workspace {@link #forward} needs for {@code tq} query and {@code tv} value steps. */
    public int workspaceSize(int tq, int tv) {
        return tv;
    }

    /**
     * {@code out (tq, dv)} = attention of {@code q (tq, d)} over {@code v (tv, dv)}
     * with keys {@code k (tv, d)}; {@code weights (tq, tv)} receives the softmax
     * weights when not null.  {@code qMask (tq)} and {@code vMask (tv)} are the
     * Keras masks of the query and the value (1 = keep), or null.
     *
     * @param ws workspace of at least {@code workspaceSize(tq, tv)} floats from {@code wsOff}
     */
    public void forward(float[] q, int tq, float[] v, int tv, float[] k, float[] qMask, float[] vMask,
                        float[] out, float[] weights, float[] ws, int wsOff) {
        for (int i = 0; i < tq; i++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < tv; j++) {
                float score = score(q, i, k, j);
                if ((causal && j > i) || (vMask != null && vMask[j] == 0f)) {
                    score -= 1.0e9f;
                }
                ws[wsOff + j] = score;
                max = Math.max(max, score);
            }
            double sum = 0.0;
            for (int j = 0; j < tv; j++) {
                sum += Math.exp((double) ws[wsOff + j] - max);
            }
            for (int j = 0; j < tv; j++) {
                ws[wsOff + j] = (float) (Math.exp((double) ws[wsOff + j] - max) / sum);
            }
            if (weights != null) {
                System.arraycopy(ws, wsOff, weights, i * tv, tv);
            }
            final int ob = i * dv;
            java.util.Arrays.fill(out, ob, ob + dv, 0f);
            if (qMask != null && qMask[i] == 0f) {
                continue;
            }
            for (int j = 0; j < tv; j++) {
                final float w = ws[wsOff + j];
                final int vb = j * dv;
                for (int c = 0; c < dv; c++) {
                    out[ob + c] += w * v[vb + c];
                }
            }
        }
    }

    private float score(float[] q, int i, float[] k, int j) {
        final int qb = i * d;
        final int kb = j * d;
        if (mode == DOT) {
            float dot = 0f;
            for (int c = 0; c < d; c++) {
                dot += q[qb + c] * k[kb + c];
            }
            return hasScale ? dot * scale : dot;
        }
        float sum = 0f;
        for (int c = 0; c < d; c++) {
            float x = q[qb + c] + k[kb + c];
            if (mode == CONCAT) {
                sum += Activation.tanh(hasScale ? scale * x : x);
            } else {
                float t = Activation.tanh(x);
                sum += scaleVector != null ? scaleVector[c] * t : t;
            }
        }
        return mode == CONCAT ? concatWeight * sum : sum;
    }
}
