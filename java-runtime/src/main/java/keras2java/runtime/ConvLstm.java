package keras2java.runtime;

/**
 * Keras ConvLSTM2D and ConvLSTM1D (a 1-D frame is an image of width 1) over
 * {@code (timesteps, height, width, channels)}, gates i, f, c, o as Keras'
 * {@code ConvLSTMCell}: {@code z = conv(x_t, kernel) + bias + conv_same(h, recurrent_kernel)},
 * {@code c = f * c + i * act(z_c)}, {@code h = o * act(c)}.  The input
 * convolution of all timesteps runs first, as one {@link Conv2D} call over the
 * frames; the recurrent convolution runs once per step.  Scratch space (the
 * projections, the states and the convolutions' own space) comes from the
 * caller's workspace.  Immutable.
 */
public final class ConvLstm {
    private final Conv2D input;
    private final Conv2D recurrent;
    private final int h;
    private final int outH;
    private final int pixels;
    private final int filters;
    private final int convSpace;
    private final Activation activation;
    private final Activation recurrentActivation;
    private final boolean goBackwards;
    private final boolean returnSequences;

    /**
     * @param input      the input convolution ({@code 4 * filters} outputs, with the bias)
     * @param recurrent  the recurrent convolution ({@code same}, stride 1, {@code 4 * filters} outputs, no bias)
     * @param convSpace  workspace floats either convolution needs
     */
    public ConvLstm(Conv2D input, Conv2D recurrent, int h, int outH, int outW, int filters, int convSpace,
                    Activation activation, Activation recurrentActivation, boolean goBackwards,
                    boolean returnSequences) {
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
    }

    /** Workspace floats for {@code steps} timesteps: {@code steps * perStep + fixed}. */
    public static int workspaceSize(int steps, int perStep, int fixed) {
        return steps * perStep + fixed;
    }

    /**
     * Runs {@code steps} frames of {@code x}; {@code y} gets every step's h (return_sequences,
     * in the order Keras returns them) or the last h; {@code hOut} / {@code cOut} (may be null)
     * the final states.
     */
    public void forward(float[] x, int steps, float[] y, float[] hOut, float[] cOut, float[] ws) {
        final int gates = 4 * filters;
        final int state = pixels * filters;
        final int zAll = 0;
        final int zRec = steps * pixels * gates;
        final int hOff = zRec + pixels * gates;
        final int cOff = hOff + state;
        final int convOff = cOff + state;
        java.util.Arrays.fill(ws, hOff, cOff + state, 0f);
        input.forward(x, 0, steps, h, ws, zAll, outH, ws, convOff);
        for (int n = 0; n < steps; n++) {
            final int t = goBackwards ? steps - 1 - n : n;
            recurrent.forward(ws, hOff, 1, outH, ws, zRec, outH, ws, convOff);
            final int zb = zAll + t * pixels * gates;
            for (int p = 0; p < pixels; p++) {
                final int z = zb + p * gates;
                final int r = zRec + p * gates;
                final int s = p * filters;
                for (int f = 0; f < filters; f++) {
                    final float gi = recurrentActivation.apply(ws[z + f] + ws[r + f]);
                    final float gf = recurrentActivation.apply(ws[z + filters + f] + ws[r + filters + f]);
                    final float gc = activation.apply(ws[z + 2 * filters + f] + ws[r + 2 * filters + f]);
                    final float go = recurrentActivation.apply(ws[z + 3 * filters + f] + ws[r + 3 * filters + f]);
                    final float c = gf * ws[cOff + s + f] + gi * gc;
                    ws[cOff + s + f] = c;
                    ws[hOff + s + f] = go * activation.apply(c);
                }
            }
            if (returnSequences) {
                System.arraycopy(ws, hOff, y, n * state, state);
            }
        }
        if (!returnSequences) {
            System.arraycopy(ws, hOff, y, 0, state);
        }
        if (hOut != null) {
            System.arraycopy(ws, hOff, hOut, 0, state);
        }
        if (cOut != null) {
            System.arraycopy(ws, cOff, cOut, 0, state);
        }
    }
}
