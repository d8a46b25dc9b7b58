package keras2java.runtime;

/**
 * One recurrent cell (LSTM, GRU, SimpleRNN): the per-timestep math of a
 * Keras recurrent layer.  Immutable; all mutable data lives in caller-provided
 * arrays, so one cell serves any number of threads.  {@link Recurrent} drives
 * a cell over a sequence (go_backwards, masks, return_sequences, states).
 */
public abstract class RnnCell {
    protected final float[] data;
    protected final int in;
    protected final int units;

    protected RnnCell(float[] data, int in, int units) {
        this.data = data;
        this.in = in;
        this.units = units;
    }

    /** Input features per timestep. */
    public final int inputSize() {
        return in;
    }

    /** Units: the size of the output and of the hidden state h. */
    public final int units() {
        return units;
    }

    /** Floats of the input projection per timestep. */
    public abstract int projectionSize();

    /** Floats of state: h first (units floats), then any other state (the LSTM's c). */
    public abstract int stateSize();

    /** Floats of scratch space {@link #step} needs. */
    public abstract int scratchSize();

    /**
     * The input projection of all {@code steps} timesteps at once (one matrix
     * product), {@code projectionSize()} floats per timestep at {@code p[pOff..]}.
     */
    public abstract void project(float[] x, int xOff, int steps, float[] p, int pOff);

    /**
     * One timestep: updates the state at {@code st[sOff..]} in place from the
     * projection at {@code p[pOff..]} (which it may overwrite).
     */
    public abstract void step(float[] p, int pOff, float[] st, int sOff, float[] tmp, int tmpOff);

    /** {@code y[yOff..+out) += v[vOff..+n) . w} where {@code w} rows are {@code ld} floats apart. */
    static void addVecMatStrided(float[] v, int vOff, int n, float[] w, int wOff, int ld, int out,
                                 float[] y, int yOff) {
        for (int k = 0; k < n; k++) {
            final float a = v[vOff + k];
            final int wo = wOff + k * ld;
            for (int j = 0; j < out; j++) {
                y[yOff + j] += a * w[wo + j];
            }
        }
    }
}
