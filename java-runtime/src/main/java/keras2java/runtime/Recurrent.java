package keras2java.runtime;

/**
 * Keras recurrent layer driver shared by LSTM, GRU and SimpleRNN: runs a
 * {@link RnnCell} over a sequence with Keras semantics for go_backwards,
 * return_sequences, masks and states.  Immutable.
 *
 * <p>The caller owns the state array: {@link #stateSize()} floats holding the
 * cell state (h, and c for LSTM) followed by the previous output.  Keeping it
 * outside lets a model reset it per prediction, keep it across calls
 * (stateful layers) or carry it per streaming session.
 *
 * <p>Masks are one float per timestep (0 = masked).  At a masked step the
 * states keep their values and the output repeats the previous output (zeros
 * before the first), or is zero when {@code zeroOutputForMask}.
 */
public final class Recurrent {
    private final RnnCell cell;
    private final boolean goBackwards;
    private final boolean returnSequences;
    private final boolean zeroOutputForMask;

    public Recurrent(RnnCell cell, boolean goBackwards, boolean returnSequences, boolean zeroOutputForMask) {
        this.cell = cell;
        this.goBackwards = goBackwards;
        this.returnSequences = returnSequences;
        this.zeroOutputForMask = zeroOutputForMask;
    }

    public int units() {
        return cell.units();
    }

    public boolean returnSequences() {
        return returnSequences;
    }

    /** Floats of caller-owned state: cell state, then the previous output. */
    public int stateSize() {
        return cell.stateSize() + cell.units();
    }

    /** Floats of workspace {@link #forward} needs for {@code steps} timesteps. */
    public int workspaceSize(int steps) {
        return steps * cell.projectionSize() + cell.scratchSize();
    }

    /** Output floats for {@code steps} timesteps. */
    public int outputSize(int steps) {
        return returnSequences ? steps * cell.units() : cell.units();
    }

    /** Zeroes all state (a fresh sequence with zero initial state). */
    public void reset(float[] st, int sOff) {
        java.util.Arrays.fill(st, sOff, sOff + stateSize(), 0f);
    }

    /** Starts a new call on kept states: the previous output starts at zero, as in Keras. */
    public void beginCall(float[] st, int sOff) {
        final int p = sOff + cell.stateSize();
        java.util.Arrays.fill(st, p, p + cell.units(), 0f);
    }

    /** Sets state {@code k} (0 = h, 1 = c) from {@code units()} floats at {@code src[srcOff..]}. */
    public void setState(float[] st, int sOff, int k, float[] src, int srcOff) {
        System.arraycopy(src, srcOff, st, sOff + k * cell.units(), cell.units());
    }

    /** Copies state {@code k} (0 = h, 1 = c) to {@code dst[dstOff..]}. */
    public void getState(float[] st, int sOff, int k, float[] dst, int dstOff) {
        System.arraycopy(st, sOff + k * cell.units(), dst, dstOff, cell.units());
    }

    /**
     * Runs the layer over {@code steps} timesteps at {@code x[xOff..]},
     * writing {@code outputSize(steps)} floats to {@code y[yOff..]}.
     *
     * @param mask one float per timestep (0 = masked) at {@code mask[mOff..]}, or null
     * @param st   the state, {@link #stateSize()} floats at {@code st[sOff..]}; updated
     * @param ws   workspace of at least {@code workspaceSize(steps)} floats from {@code wsOff}
     */
    public void forward(float[] x, int xOff, int steps, float[] mask, int mOff, float[] st, int sOff,
                        float[] y, int yOff, float[] ws, int wsOff) {
        final int u = cell.units();
        final int g = cell.projectionSize();
        final int tmp = wsOff + steps * g;
        final int prev = sOff + cell.stateSize();
        cell.project(x, xOff, steps, ws, wsOff);
        for (int s = 0; s < steps; s++) {
            final int t = goBackwards ? steps - 1 - s : s;
            if (mask == null || mask[mOff + t] != 0f) {
                cell.step(ws, wsOff + t * g, st, sOff, ws, tmp);
                System.arraycopy(st, sOff, st, prev, u);
            } else if (zeroOutputForMask) {
                java.util.Arrays.fill(st, prev, prev + u, 0f);
            }
            if (returnSequences) {
                System.arraycopy(st, prev, y, yOff + s * u, u);
            }
        }
        if (!returnSequences) {
            System.arraycopy(st, prev, y, yOff, u);
        }
    }
}
