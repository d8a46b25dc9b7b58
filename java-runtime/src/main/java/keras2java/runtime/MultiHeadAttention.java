package keras2java.runtime;

/**
 * Keras MultiHeadAttention with attention over the time axis: query, key and
 * value projections, per head {@code softmax(q k^T / sqrt(keyDim))} (causal:
 * key step j only for j <= query step i), the weighted sum of the projected
 * values, and the output projection.
 *
 * <p>The Keras masks of the query, value and key (1 = keep) are ANDed with the
 * causal mask into the attention mask {@code (tq, tv)}, as both Keras versions
 * do; masked scores get weight 0.  A query step whose row is masked entirely
 * (a masked query step, or all value steps masked) gets what the Keras version
 * computes: {@link #SUBTRACT} (tf-keras: {@code scores - 1e9} in float32, then
 * softmax), {@link #UNIFORM} (Keras 3's fused path and tf-keras'
 * {@code softmax_robust_masking}: equal weights) or {@link #ZERO} (Keras 3 with
 * attention scores returned or dropout: {@code Softmax} zeroes masked weights).
 * An optional gate (Keras 3 GroupedQueryAttention {@code use_gate}) multiplies the heads' outputs
 * by {@code sigmoid(q Wg + bg)} before the output projection.
 * Immutable.
 */
public final class MultiHeadAttention {
    public static final int SUBTRACT = 0;
    public static final int UNIFORM = 1;
    public static final int ZERO = 2;

    private final int heads;
    private final int keyDim;
    private final int valueDim;
    private final boolean causal;
    private final int fullyMasked;
    private final float scale;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    private final Linear gate;

    /**
     * Offsets into {@code data} of the flattened kernels (query/key {@code (in, heads*keyDim)},
     * value {@code (in, heads*valueDim)}, output {@code (heads*valueDim, out)}) and biases (-1: none);
     * {@code fullyMasked} is {@link #SUBTRACT}, {@link #UNIFORM} or {@link #ZERO}.
     */
    public MultiHeadAttention(float[] data, int heads, int keyDim, int valueDim, boolean causal, int fullyMasked,
                              int qIn, int kIn, int vIn, int out,
                              int qKernel, int qBias, int kKernel, int kBias, int vKernel, int vBias,
                              int oKernel, int oBias) {
        this(data, heads, keyDim, valueDim, causal, fullyMasked, qIn, kIn, vIn, out, qKernel, qBias, kKernel, kBias,
                vKernel, vBias, oKernel, oBias, -1, -1);
    }

    /**
     * As above, with a gate: {@code gKernel (qIn, heads*valueDim)} and {@code gBias} (-1: none);
     * {@code gKernel} -1 for no gate.
     */
    public MultiHeadAttention(float[] data, int heads, int keyDim, int valueDim, boolean causal, int fullyMasked,
                              int qIn, int kIn, int vIn, int out,
                              int qKernel, int qBias, int kKernel, int kBias, int vKernel, int vBias,
                              int oKernel, int oBias, int gKernel, int gBias) {
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.causal = causal;
        this.fullyMasked = fullyMasked;
        this.scale = (float) (1.0 / Math.sqrt(keyDim));
        this.query = new Linear(data, qKernel, qIn, heads * keyDim, qBias);
        this.key = new Linear(data, kKernel, kIn, heads * keyDim, kBias);
        this.value = new Linear(data, vKernel, vIn, heads * valueDim, vBias);
        this.output = new Linear(data, oKernel, heads * valueDim, out, oBias);
        this.gate = gKernel < 0 ? null : new Linear(data, gKernel, qIn, heads * valueDim, gBias);
    }

    /** Floats of workspace {@link #forward} needs for {@code tq} query and {@code tv} value steps. */
    public int workspaceSize(int tq, int tv) {
        return (tq + tv) * heads * (keyDim + valueDim) + tv + (gate == null ? 0 : tq * heads * valueDim);
    }

    /**
     * {@code out (tq, out)} from {@code q (tq, qIn)}, {@code v (tv, vIn)} and
     * {@code k (tv, kIn)}; {@code scores (heads, tq, tv)} receives the
     * attention weights when not null.  {@code qMask (tq)}, {@code vMask (tv)}
     * and {@code kMask (tv)} are Keras masks (1 = keep), or null.
     *
     * @param ws workspace of at least {@code workspaceSize(tq, tv)} floats from {@code wsOff}
     */
    public void forward(float[] q, int tq, float[] v, int tv, float[] k, float[] qMask, float[] vMask,
                        float[] kMask, float[] out, float[] scores, float[] ws, int wsOff) {
        forwardBatch(q, 1, tq, v, tv, k, qMask, vMask, kMask, out, scores, ws, wsOff);
    }

    /**
     * {@link #forward} on {@code nb} samples, each one's tensors (and masks) one after the other:
     * the projections are one product over all the samples' rows, the attention runs per sample.
     *
     * @param ws workspace of at least {@code workspaceSize(nb * tq, nb * tv)} floats from {@code wsOff}
     */
    public void forwardBatch(float[] q, int nb, int tq, float[] v, int tv, float[] k, float[] qMask, float[] vMask,
                             float[] kMask, float[] out, float[] scores, float[] ws, int wsOff) {
        final int hk = heads * keyDim;
        final int hv = heads * valueDim;
        // The projections, the heads' outputs and one row of scores, in the workspace.
        final int pq = wsOff;
        final int pk = pq + nb * tq * hk;
        final int pv = pk + nb * tv * hk;
        final int att = pv + nb * tv * hv;
        final int s = att + nb * tq * hv;
        query.forward(q, 0, nb * tq, ws, pq);
        key.forward(k, 0, nb * tv, ws, pk);
        value.forward(v, 0, nb * tv, ws, pv);
        java.util.Arrays.fill(ws, att, att + nb * tq * hv, 0f);
        for (int b = 0; b < nb; b++) {
            attend(ws, pq + b * tq * hk, tq, pk + b * tv * hk, pv + b * tv * hv, tv, att + b * tq * hv, s,
                   qMask, b * tq, vMask, kMask, b * tv, scores, b * heads * tq * tv);
        }
        if (gate != null) {
            // Keras: output_dense(multiply(attention output, sigmoid(gate_dense(query))))
            final int g = s + tv;
            gate.forward(q, 0, nb * tq, ws, g);
            for (int x = 0; x < nb * tq * hv; x++) {
                ws[att + x] *= (float) (1.0 / (1.0 + Math.exp(-(double) ws[g + x])));
            }
        }
        output.forward(ws, att, nb * tq, out, 0);
    }

    /**
     * One sample's heads: projected queries at {@code pq}, keys at {@code pk} and values at
     * {@code pv} in {@code ws}, their weighted sums added at {@code att} (zeroed), a row of
     * scores at {@code s}.
     */
    private void attend(float[] ws, int pq, int tq, int pk, int pv, int tv, int att, int s,
                        float[] qMask, int qmOff, float[] vMask, float[] kMask, int mOff, float[] scores, int sOff) {
        final int hk = heads * keyDim;
        final int hv = heads * valueDim;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tq; i++) {
                final int qb = pq + i * hk + h * keyDim;
                final boolean rowKept = qMask == null || qMask[qmOff + i] != 0f;
                final int last = causal ? Math.min(i, tv - 1) : tv - 1;
                float max = Float.NEGATIVE_INFINITY;
                boolean any = false;
                for (int j = 0; j <= last; j++) {
                    if (rowKept && kept(vMask, kMask, mOff + j)) {
                        final float dot = dot(ws, qb, pk + j * hk + h * keyDim);
                        ws[s + j] = dot;
                        max = Math.max(max, dot);
                        any = true;
                    }
                }
                double sum = 0.0;
                if (any) {
                    for (int j = 0; j <= last; j++) {
                        if (rowKept && kept(vMask, kMask, mOff + j)) {
                            sum += Math.exp((double) ws[s + j] - max);
                        }
                    }
                } else if (fullyMasked == SUBTRACT) {
                    // every score lowered by 1e9 in float32 (Keras: scores + (1 - mask) * -1e9)
                    for (int j = 0; j < tv; j++) {
                        final float x = dot(ws, qb, pk + j * hk + h * keyDim) + -1.0e9f;
                        ws[s + j] = x;
                        max = Math.max(max, x);
                    }
                    for (int j = 0; j < tv; j++) {
                        sum += Math.exp((double) ws[s + j] - max);
                    }
                }
                final int ob = att + i * hv + h * valueDim;
                for (int j = 0; j < tv; j++) {
                    final float w;
                    if (any) {
                        w = j <= last && rowKept && kept(vMask, kMask, mOff + j)
                                ? (float) (Math.exp((double) ws[s + j] - max) / sum) : 0f;
                    } else if (fullyMasked == SUBTRACT) {
                        w = (float) (Math.exp((double) ws[s + j] - max) / sum);
                    } else {
                        w = fullyMasked == UNIFORM ? 1f / tv : 0f;
                    }
                    if (scores != null) {
                        scores[sOff + (h * tq + i) * tv + j] = w;
                    }
                    if (w != 0f) {
                        final int vb = pv + j * hv + h * valueDim;
                        for (int c = 0; c < valueDim; c++) {
                            ws[ob + c] += w * ws[vb + c];
                        }
                    }
                }
            }
        }
    }

    private static boolean kept(float[] vMask, float[] kMask, int j) {
        return (vMask == null || vMask[j] != 0f) && (kMask == null || kMask[j] != 0f);
    }

    private float dot(float[] ws, int qb, int kb) {
        float dot = 0f;
        for (int c = 0; c < keyDim; c++) {
            dot += (ws[qb + c] * scale) * ws[kb + c];
        }
        return dot;
    }
}
