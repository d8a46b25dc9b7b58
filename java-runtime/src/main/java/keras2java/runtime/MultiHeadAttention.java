package keras2java.runtime;

/**
 * Keras MultiHeadAttention with attention over the time axis: query, key and
 * value projections, per head {@code softmax(q k^T / sqrt(keyDim))} (causal:
 * key step j only for j <= query step i), the weighted sum of the projected
 * values, and the output projection.  Immutable.
 */
public final class MultiHeadAttention {
    private final int heads;
    private final int keyDim;
    private final int valueDim;
    private final boolean causal;
    private final float scale;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;

    /**
     * Offsets into {@code data} of the flattened kernels (query/key {@code (in, heads*keyDim)},
     * value {@code (in, heads*valueDim)}, output {@code (heads*valueDim, out)}) and biases (-1: none).
     */
    public MultiHeadAttention(float[] data, int heads, int keyDim, int valueDim, boolean causal,
                              int qIn, int kIn, int vIn, int out,
                              int qKernel, int qBias, int kKernel, int kBias, int vKernel, int vBias,
                              int oKernel, int oBias) {
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.causal = causal;
        this.scale = (float) (1.0 / Math.sqrt(keyDim));
        this.query = new Linear(data, qKernel, qIn, heads * keyDim, qBias);
        this.key = new Linear(data, kKernel, kIn, heads * keyDim, kBias);
        this.value = new Linear(data, vKernel, vIn, heads * valueDim, vBias);
        this.output = new Linear(data, oKernel, heads * valueDim, out, oBias);
    }

    /** Floats of workspace {@link #forward} needs for {@code tq} query and {@code tv} value steps. */
    public int workspaceSize(int tq, int tv) {
        return (tq + tv) * heads * (keyDim + valueDim) + tv;
    }

    /**
     * {@code out (tq, out)} from {@code q (tq, qIn)}, {@code v (tv, vIn)} and
     * {@code k (tv, kIn)}; {@code scores (heads, tq, tv)} receives the
     * attention weights when not null.
     *
     * @param ws workspace of at least {@code workspaceSize(tq, tv)} floats from {@code wsOff}
     */
    public void forward(float[] q, int tq, float[] v, int tv, float[] k, float[] out, float[] scores,
                        float[] ws, int wsOff) {
        final int hk = heads * keyDim;
        final int hv = heads * valueDim;
        // The projections, the heads' outputs and one row of scores, in the workspace.
        final int pq = wsOff;
        final int pk = pq + tq * hk;
        final int pv = pk + tv * hk;
        final int att = pv + tv * hv;
        final int s = att + tq * hv;
        query.forward(q, 0, tq, ws, pq);
        key.forward(k, 0, tv, ws, pk);
        value.forward(v, 0, tv, ws, pv);
        java.util.Arrays.fill(ws, att, att + tq * hv, 0f);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tq; i++) {
                final int qb = pq + i * hk + h * keyDim;
                float max = Float.NEGATIVE_INFINITY;
                final int last = causal ? Math.min(i, tv - 1) : tv - 1;
                for (int j = 0; j <= last; j++) {
                    final int kb = pk + j * hk + h * keyDim;
                    float dot = 0f;
                    for (int c = 0; c < keyDim; c++) {
                        dot += (ws[qb + c] * scale) * ws[kb + c];
                    }
                    ws[s + j] = dot;
                    max = Math.max(max, dot);
                }
                double sum = 0.0;
                for (int j = 0; j <= last; j++) {
                    sum += Math.exp((double) ws[s + j] - max);
                }
                final int ob = att + i * hv + h * valueDim;
                for (int j = 0; j < tv; j++) {
                    final float w = j <= last ? (float) (Math.exp((double) ws[s + j] - max) / sum) : 0f;
                    if (scores != null) {
                        scores[(h * tq + i) * tv + j] = w;
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
        output.forward(ws, att, tq, out, 0);
    }
}
