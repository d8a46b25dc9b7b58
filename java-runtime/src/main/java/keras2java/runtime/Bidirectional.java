package keras2java.runtime;

/**
 * Keras Bidirectional wrapper: runs a forward and a backward {@link Recurrent}
 * layer over the same input and merges their outputs.  With
 * return_sequences the backward output is flipped back along time before
 * merging, as Keras does.  Immutable; the caller owns the state
 * ({@link #stateSize()} floats: forward state, then backward state).
 */
public final class Bidirectional {
    public static final int CONCAT = 0;
    public static final int SUM = 1;
    public static final int MUL = 2;
    public static final int AVE = 3;
    /** merge_mode=None: two outputs. */
    public static final int NONE = 4;

    private final Recurrent fwd;
    private final Recurrent bwd;
    private final int merge;

    public Bidirectional(Recurrent forward, Recurrent backward, int mergeMode) {
        if (forward.returnSequences() != backward.returnSequences()) {
            throw new IllegalStateException("Bidirectional layers disagree on return_sequences");
        }
        if (mergeMode != CONCAT && forward.units() != backward.units()) {
            throw new IllegalStateException("Bidirectional merge needs equal units");
        }
        this.fwd = forward;
        this.bwd = backward;
        this.merge = mergeMode;
    }

    public Recurrent forwardLayer() {
        return fwd;
    }

    public Recurrent backwardLayer() {
        return bwd;
    }

    public int stateSize() {
        return fwd.stateSize() + bwd.stateSize();
    }

    /** Offset of the backward layer's state relative to this layer's state. */
    public int backwardStateOffset() {
        return fwd.stateSize();
    }

    public void reset(float[] st, int sOff) {
        fwd.reset(st, sOff);
        bwd.reset(st, sOff + fwd.stateSize());
    }

    public void beginCall(float[] st, int sOff) {
        fwd.beginCall(st, sOff);
        bwd.beginCall(st, sOff + fwd.stateSize());
    }

    public int workspaceSize(int steps) {
        return fwd.outputSize(steps) + bwd.outputSize(steps)
                + Math.max(fwd.workspaceSize(steps), bwd.workspaceSize(steps));
    }

    /**
     * Runs both layers.  Writes the merged output to {@code y}; with
     * merge_mode None writes the forward output to {@code y} and the
     * (flipped) backward output to {@code y2}.
     */
    public void forward(float[] x, int xOff, int steps, float[] mask, int mOff, float[] st, int sOff,
                        float[] y, int yOff, float[] y2, int y2Off, float[] ws, int wsOff) {
        final int nf = fwd.outputSize(steps);
        final int nb = bwd.outputSize(steps);
        final int inner = wsOff + nf + nb;
        fwd.forward(x, xOff, steps, mask, mOff, st, sOff, ws, wsOff, ws, inner);
        bwd.forward(x, xOff, steps, mask, mOff, st, sOff + fwd.stateSize(), ws, wsOff + nf, ws, inner);
        merge(ws, wsOff, wsOff + nf, steps, y, yOff, y2, y2Off);
    }

    /** Floats of workspace {@link #forwardBatch} needs. */
    public int batchWorkspaceSize(int rows, int steps) {
        return rows * (fwd.outputSize(steps) + bwd.outputSize(steps))
                + Math.max(fwd.batchWorkspaceSize(rows, steps), bwd.batchWorkspaceSize(rows, steps));
    }

    /**
     * Runs both layers over {@code rows} samples of {@code steps} timesteps (zero states),
     * as {@link Recurrent#forwardBatch}; sample r's merged output follows sample r-1's.
     *
     * @param mask one float per sample and timestep (0 = masked), or null
     */
    public void forwardBatch(float[] x, int xOff, int rows, int steps, float[] mask, int mOff,
                             float[] y, int yOff, float[] y2, int y2Off, float[] ws, int wsOff) {
        final int nf = fwd.outputSize(steps);
        final int nb = bwd.outputSize(steps);
        final int fo = wsOff;
        final int bo = wsOff + rows * nf;
        final int inner = bo + rows * nb;
        fwd.forwardBatch(x, xOff, rows, steps, mask, mOff, ws, fo, ws, inner);
        bwd.forwardBatch(x, xOff, rows, steps, mask, mOff, ws, bo, ws, inner);
        final int per = merge == CONCAT ? nf + nb : nf;
        final int per2 = merge == NONE ? nb : 0;
        for (int r = 0; r < rows; r++) {
            merge(ws, fo + r * nf, bo + r * nb, steps, y, yOff + r * per, y2, y2Off + r * per2);
        }
    }

    /** Merges one sample's forward output at {@code ws[f0..]} and backward output at {@code ws[b0..]}. */
    private void merge(float[] ws, int f0, int b0, int steps, float[] y, int yOff, float[] y2, int y2Off) {
        final int uf = fwd.units();
        final int ub = bwd.units();
        final int rows = fwd.returnSequences() ? steps : 1;
        for (int r = 0; r < rows; r++) {
            final int f = f0 + r * uf;
            final int b = b0 + (fwd.returnSequences() ? (steps - 1 - r) : 0) * ub;
            switch (merge) {
                case CONCAT:
                    System.arraycopy(ws, f, y, yOff + r * (uf + ub), uf);
                    System.arraycopy(ws, b, y, yOff + r * (uf + ub) + uf, ub);
                    break;
                case SUM:
                    for (int j = 0; j < uf; j++) {
                        y[yOff + r * uf + j] = ws[f + j] + ws[b + j];
                    }
                    break;
                case MUL:
                    for (int j = 0; j < uf; j++) {
                        y[yOff + r * uf + j] = ws[f + j] * ws[b + j];
                    }
                    break;
                case AVE:
                    for (int j = 0; j < uf; j++) {
                        y[yOff + r * uf + j] = (ws[f + j] + ws[b + j]) / 2f;
                    }
                    break;
                default:
                    System.arraycopy(ws, f, y, yOff + r * uf, uf);
                    System.arraycopy(ws, b, y2, y2Off + r * ub, ub);
                    break;
            }
        }
    }
}
