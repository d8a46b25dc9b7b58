package keras2java.runtime;

/**
 * One recurrent cell (LSTM, GRU, SimpleRNN): the per-timestep math of a
 * Keras recurrent layer.  Immutable; all mutable data lives in caller-provided
 * arrays, so one cell serves any number of threads.  {@link Recurrent} drives
 * a cell over a sequence (go_backwards, masks, return_sequences, states).
 */
public abstract class RnnCell {
    protected final int units;

    protected RnnCell(int units) {
        this.units = units;
    }

    /** Units: the size of the output and of the hidden state h. */
    public final int units() {
        return units;
    }

    /** Input features per timestep. */
    public abstract int inputSize();

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

    /**
     * One timestep of {@code rows} samples at once: row r's projection at
     * {@code p[pOff + r*ldp ..]}, its state at {@code st[sOff + r*ldst ..]}, and
     * {@code scratchSize()} floats of scratch at {@code tmp[tmpOff + r*scratchSize() ..]}.
     * The cells do the recurrent product of all rows as one matrix product
     * ({@link Linear#addRows}) and give each row the bits of {@link #step}.
     */
    public void stepBatch(float[] p, int pOff, int ldp, int rows, float[] st, int sOff, int ldst,
                          float[] tmp, int tmpOff) {
        for (int r = 0; r < rows; r++) {
            step(p, pOff + r * ldp, st, sOff + r * ldst, tmp, tmpOff + r * scratchSize());
        }
    }
}
