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
    private final Dense query;
    private final Dense key;
    private final Dense value;
    private final Dense output;

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
        final Activation linear = Activation.of(Activation.LINEAR);
        this.query = new Dense(data, qKernel, qBias, qIn, heads * keyDim, linear);
        this.key = new Dense(data, kKernel, kBias, kIn, heads * keyDim, linear);
        this.value = new Dense(data, vKernel, vBias, vIn, heads * valueDim, linear);
        this.output = new Dense(data, oKernel, oBias, heads * valueDim, out, linear);
    }

    /**
     * {@code out (tq, out)} from {@code q (tq, qIn)}, {@code v (tv, vIn)} and
     * {@code k (tv, kIn)}; {@code scores (heads, tq, tv)} receives the
     * attention weights when not null.
     */
    public void forward(float[] q, int tq, float[] v, int tv, float[] k, float[] out, float[] scores) {
        final int hk = heads * keyDim;
        final int hv = heads * valueDim;
        final float[] pq = new float[tq * hk];
        final float[] pk = new float[tv * hk];
        final float[] pv = new float[tv * hv];
        final float[] att = new float[tq * hv];
        query.forward(q, 0, tq, pq, 0);
        key.forward(k, 0, tv, pk, 0);
        value.forward(v, 0, tv, pv, 0);
        final float[] s = new float[tv];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tq; i++) {
                final int qb = i * hk + h * keyDim;
                float max = Float.NEGATIVE_INFINITY;
                final int last = causal ? Math.min(i, tv - 1) : tv - 1;
                for (int j = 0; j <= last; j++) {
                    final int kb = j * hk + h * keyDim;
                    float dot = 0f;
                    for (int c = 0; c < keyDim; c++) {
                        dot += (pq[qb + c] * scale) * pk[kb + c];
                    }
                    s[j] = dot;
                    max = Math.max(max, dot);
                }
                double sum = 0.0;
                for (int j = 0; j <= last; j++) {
                    sum += Math.exp((double) s[j] - max);
                }
                final int ob = i * hv + h * valueDim;
                for (int j = 0; j < tv; j++) {
                    final float w = j <= last ? (float) (Math.exp((double) s[j] - max) / sum) : 0f;
                    if (scores != null) {
                        scores[(h * tq + i) * tv + j] = w;
                    }
                    if (w != 0f) {
                        final int vb = j * hv + h * valueDim;
                        for (int c = 0; c < valueDim; c++) {
                            att[ob + c] += w * pv[vb + c];
                        }
                    }
                }
            }
        }
        output.forward(att, 0, tq, out, 0);
    }
}
