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
        attend(q, 0, tq, v, 0, tv, k, 0, qMask, 0, vMask, 0, out, 0, weights, 0, ws, wsOff);
    }

    /**
     * {@link #forward} on {@code nb} samples, each one's tensors (and masks) one after the other:
     * sample b's query at {@code b * tq * d}, its output at {@code b * tq * dv} and so on.
     *
     * @param ws workspace of at least {@code workspaceSize(tq, tv)} floats from {@code wsOff}
     */
    public void forwardBatch(float[] q, int nb, int tq, float[] v, int tv, float[] k, float[] qMask, float[] vMask,
                             float[] out, float[] weights, float[] ws, int wsOff) {
        for (int b = 0; b < nb; b++) {
            attend(q, b * tq * d, tq, v, b * tv * dv, tv, k, b * tv * d, qMask, b * tq, vMask, b * tv,
                   out, b * tq * dv, weights, b * tq * tv, ws, wsOff);
        }
    }

    private void attend(float[] q, int qOff, int tq, float[] v, int vOff, int tv, float[] k, int kOff,
                        float[] qMask, int qmOff, float[] vMask, int vmOff, float[] out, int outOff,
                        float[] weights, int wOff, float[] ws, int wsOff) {
        for (int i = 0; i < tq; i++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < tv; j++) {
                float score = score(q, qOff + i * d, k, kOff + j * d);
                if ((causal && j > i) || (vMask != null && vMask[vmOff + j] == 0f)) {
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
                System.arraycopy(ws, wsOff, weights, wOff + i * tv, tv);
            }
            final int ob = outOff + i * dv;
            java.util.Arrays.fill(out, ob, ob + dv, 0f);
            if (qMask != null && qMask[qmOff + i] == 0f) {
                continue;
            }
            for (int j = 0; j < tv; j++) {
                final float w = ws[wsOff + j];
                final int vb = vOff + j * dv;
                for (int c = 0; c < dv; c++) {
                    out[ob + c] += w * v[vb + c];
                }
            }
        }
    }

    /** The score of the query row at {@code qb} against the key row at {@code kb}. */
    private float score(float[] q, int qb, float[] k, int kb) {
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
