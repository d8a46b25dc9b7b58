package keras2java.runtime;

/**
 * Keras ConvLSTM3D, ConvLSTM2D and ConvLSTM1D (a 1-D frame is an image of width 1) over
 * {@code (timesteps, height, width, channels)} (a 3-D frame's first axis is the height here, its
 * output height and width one axis of {@code outW} pixels), gates i, f, c, o as Keras'
 * {@code ConvLSTMCell}: {@code z = conv(x_t, kernel) + bias + conv_same(h, recurrent_kernel)},
 * {@code c = f * c + i * act(z_c)}, {@code h = o * act(c)}.  The input
 * convolution of all timesteps runs first, as one {@link FrameConv} call over the
 * frames; the recurrent convolution runs once per step.  The states (h, c
 * and the previous output) live in a caller-owned array, as for
 * {@link Recurrent}; scratch space (the projections and the convolutions' own
 * space) comes from the caller's workspace.  Immutable.
 */
public final class ConvLstm {
    private final FrameConv input;
    private final FrameConv recurrent;
    private final int h;
    private final int outH;
    private final int pixels;
    private final int filters;
    private final int convSpace;
    private final Activation activation;
    private final Activation recurrentActivation;
    private final boolean goBackwards;
    private final boolean returnSequences;
    private final boolean zeroOutputForMask;

    /**
     * @param input      the input convolution ({@code 4 * filters} outputs, with the bias)
     * @param recurrent  the recurrent convolution ({@code same}, stride 1, {@code 4 * filters} outputs, no bias)
     * @param convSpace  workspace floats either convolution needs
     */
    public ConvLstm(FrameConv input, FrameConv recurrent, int h, int outH, int outW, int filters, int convSpace,
                    Activation activation, Activation recurrentActivation, boolean goBackwards,
                    boolean returnSequences, boolean zeroOutputForMask) {
        this.input = input;
        this.recurrent = recurrent;
        this.h = h;
        this.outH = outH;
        this.pixels = outH * outW;
        this.filters = filters;
        this.convSpace = convSpace;
        this.activation = activation;
        this.recurrentActivation = recurrentActivation;
        this.goBackwards = goBackwards;
        this.returnSequences = returnSequences;
        this.zeroOutputForMask = zeroOutputForMask;
    }

    /** Workspace floats for {@code steps} timesteps: {@code steps * perStep + fixed}. */
    public static int workspaceSize(int steps, int perStep, int fixed) {
        return steps * perStep + fixed;
    }

    /**
     * Floats of caller-owned state: h, c and the previous output (each
     * {@code outH * outW * filters}).  Keeping them outside lets a model reset
     * them per prediction or carry them per streaming session.
     */
    public int stateSize() {
        return 3 * pixels * filters;
    }

    /** Zero states (the start of a sequence). */
    public void reset(float[] st, int sOff) {
        java.util.Arrays.fill(st, sOff, sOff + stateSize(), 0f);
    }

    /**
     * Runs {@code steps} frames of {@code x} from the states in {@code st} (updated); {@code y}
     * gets every step's output (return_sequences, in the order Keras returns them) or the last
     * one; {@code hOut} / {@code cOut} (may be null) the final states.  With a {@code mask}
     * (one float per timestep, 0 = masked; or null) a masked step keeps the states and repeats
     * the previous output (zeros before the first), or outputs zeros with
     * {@code zeroOutputForMask}, as Keras' RNN does.
     */
    public void forward(float[] x, int steps, float[] mask, float[] y, float[] hOut, float[] cOut, float[] st,
                        int sOff, float[] ws) {
        final int gates = 4 * filters;
        final int state = pixels * filters;
        final int zAll = 0;
        final int zRec = steps * pixels * gates;
        final int convOff = zRec + pixels * gates;
        final int hOff = sOff;
        final int cOff = hOff + state;
        final int prev = cOff + state;
        input.forward(x, 0, steps, h, ws, zAll, outH, ws, convOff);
        for (int n = 0; n < steps; n++) {
            final int t = goBackwards ? steps - 1 - n : n;
            if (mask == null || mask[t] != 0f) {
                step(ws, zAll + t * pixels * gates, zRec, st, hOff, cOff, convOff, ws);
                System.arraycopy(st, hOff, st, prev, state);
            } else if (zeroOutputForMask) {
                java.util.Arrays.fill(st, prev, prev + state, 0f);
            }
            if (returnSequences) {
                System.arraycopy(st, prev, y, n * state, state);
            }
        }
        if (!returnSequences) {
            System.arraycopy(st, prev, y, 0, state);
        }
        if (hOut != null) {
            System.arraycopy(st, hOff, hOut, 0, state);
        }
        if (cOut != null) {
            System.arraycopy(st, cOff, cOut, 0, state);
        }
    }

    /** One timestep: the input projection at {@code ws[zb..]} plus the recurrent convolution of h. */
    private void step(float[] z, int zb, int zRec, float[] st, int hOff, int cOff, int convOff, float[] ws) {
        recurrent.forward(st, hOff, 1, outH, ws, zRec, outH, ws, convOff);
        for (int p = 0; p < pixels; p++) {
            final int zp = zb + p * 4 * filters;
            final int r = zRec + p * 4 * filters;
            final int s = p * filters;
            for (int f = 0; f < filters; f++) {
                final float gi = recurrentActivation.apply(z[zp + f] + ws[r + f]);
                final float gf = recurrentActivation.apply(z[zp + filters + f] + ws[r + filters + f]);
                final float gc = activation.apply(z[zp + 2 * filters + f] + ws[r + 2 * filters + f]);
                final float go = recurrentActivation.apply(z[zp + 3 * filters + f] + ws[r + 3 * filters + f]);
                final float c = gf * st[cOff + s + f] + gi * gc;
                st[cOff + s + f] = c;
                st[hOff + s + f] = go * activation.apply(c);
            }
        }
    }
}
