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

    /** Floats of workspace {@link #forwardBatch} needs for {@code rows} samples of {@code steps} timesteps. */
    public int batchWorkspaceSize(int rows, int steps) {
        final int timeMajorInput = rows > 1 ? steps * cell.inputSize() : 0;
        return rows * (chunkSteps(rows, steps) * cell.projectionSize() + stateSize() + cell.stateSize()
                + cell.scratchSize() + timeMajorInput);
    }

    /**
     * Floats of projected rows {@link #forwardBatch} keeps at once: 512 KiB, which stay in L2
     * between their projection and their step.  Projecting every timestep of a batch first wrote
     * them all (13 MB for the medium benchmark model at batch 64) and read each step's rows back
     * from memory; in chunks the batch path is 5-12% faster (medium and large, batch 64, JDK 17,
     * 25 and the vector kernels).  {@code -Dkeras2java.projectionChunkFloats} sets it (tests use
     * small values to check that chunks do not change the bits).
     */
    static final int CHUNK_FLOATS = chunkFloats();

    private static int chunkFloats() {
        try {
            return Math.max(1, Integer.getInteger("keras2java.projectionChunkFloats", 128 * 1024));
        } catch (SecurityException e) {
            return 128 * 1024;
        }
    }

    /**
     * Timesteps whose input projection {@link #forwardBatch} computes at once: all of them for
     * one sample, else as many as fit {@link #CHUNK_FLOATS} (at least one).
     */
    private int chunkSteps(int rows, int steps) {
        if (rows == 1) {
            return steps;
        }
        return Math.max(1, Math.min(steps, CHUNK_FLOATS / (rows * cell.projectionSize())));
    }

    /**
     * Runs the layer over {@code rows} samples of {@code steps} timesteps each, from zero
     * states, as {@link #forward} runs one: sample r's input at {@code x[xOff + r*steps*in ..]},
     * its {@code outputSize(steps)} output floats at {@code y[yOff + r*outputSize(steps) ..]}.
     * The input projection is time-major (the inputs are first copied timestep by timestep, so
     * each step's projected rows are adjacent), one matrix product per chunk of timesteps
     * ({@link #CHUNK_FLOATS}) just before their steps, each timestep one
     * {@code [rows x units] . [units x gates]} product ({@link RnnCell#stepBatch}); every
     * sample gets the bits {@link #forward} gives it.
     *
     * @param mask one float per sample and timestep (0 = masked) at {@code mask[mOff..]}, or null
     * @param ws   workspace of at least {@code batchWorkspaceSize(rows, steps)} floats from {@code wsOff}
     */
    public void forwardBatch(float[] x, int xOff, int rows, int steps, float[] mask, int mOff,
                             float[] y, int yOff, float[] ws, int wsOff) {
        final int u = cell.units();
        final int g = cell.projectionSize();
        final int ss = stateSize();
        final int cs = cell.stateSize();
        final int chunk = chunkSteps(rows, steps);
        final int st = wsOff + rows * chunk * g;
        final int saved = st + rows * ss;
        final int tmp = saved + rows * cs;
        final int out = outputSize(steps);
        final int in = cell.inputSize();
        final int xt = tmp + rows * cell.scratchSize();
        if (rows == 1) {
            cell.project(x, xOff, steps, ws, wsOff);
        } else {
            for (int t = 0; t < steps; t++) {
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(x, xOff + (r * steps + t) * in, ws, xt + (t * rows + r) * in, in);
                }
            }
        }
        java.util.Arrays.fill(ws, st, st + rows * ss, 0f);
        int projected = -1; // the chunk of timesteps whose projection ws holds
        for (int s = 0; s < steps; s++) {
            final int t = goBackwards ? steps - 1 - s : s;
            final int c0 = t - t % chunk;
            if (rows > 1 && c0 != projected) {
                // each chunk's projected rows are used right after they are written, while in cache
                final int n = Math.min(chunk, steps - c0);
                cell.project(ws, xt + c0 * rows * in, rows * n, ws, wsOff);
                projected = c0;
            }
            boolean anyMasked = false;
            if (mask != null) {
                for (int r = 0; r < rows; r++) {
                    if (mask[mOff + r * steps + t] == 0f) {
                        System.arraycopy(ws, st + r * ss, ws, saved + r * cs, cs);
                        anyMasked = true;
                    }
                }
            }
            cell.stepBatch(ws, wsOff + (t - c0) * rows * g, g, rows, ws, st, ss, ws, tmp);
            for (int r = 0; r < rows; r++) {
                final int h = st + r * ss;
                final int prev = h + cs;
                if (!anyMasked || mask[mOff + r * steps + t] != 0f) {
                    System.arraycopy(ws, h, ws, prev, u);
                } else {
                    System.arraycopy(ws, saved + r * cs, ws, h, cs);
                    if (zeroOutputForMask) {
                        java.util.Arrays.fill(ws, prev, prev + u, 0f);
                    }
                }
                if (returnSequences) {
                    System.arraycopy(ws, prev, y, yOff + r * out + s * u, u);
                }
            }
        }
        if (!returnSequences) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(ws, st + r * ss + cs, y, yOff + r * u, u);
            }
        }
    }
}
