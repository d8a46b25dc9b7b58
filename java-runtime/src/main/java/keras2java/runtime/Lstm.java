package keras2java.runtime;

/**
 * Keras LSTM (fused kernel, gate order i, f, c, o).  Immutable; the caller
 * provides the workspace, so one instance can serve any number of threads.
 */
public final class Lstm {
    private final float[] data;
    private final int kernelOff;
    private final int recurrentOff;
    private final int biasOff;
    private final int in;
    private final int units;
    private final Activation activation;
    private final Activation recurrentActivation;
    private final boolean goBackwards;
    private final boolean returnSequences;

    public Lstm(float[] data, int kernelOff, int recurrentOff, int biasOff, int in, int units,
                Activation activation, Activation recurrentActivation,
                boolean goBackwards, boolean returnSequences) {
        Check.slice(data, kernelOff, in * 4 * units, "LSTM kernel");
        Check.slice(data, recurrentOff, units * 4 * units, "LSTM recurrent kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, 4 * units, "LSTM bias");
        }
        this.data = data;
        this.kernelOff = kernelOff;
        this.recurrentOff = recurrentOff;
        this.biasOff = biasOff;
        this.in = in;
        this.units = units;
        this.activation = activation;
        this.recurrentActivation = recurrentActivation;
        this.goBackwards = goBackwards;
        this.returnSequences = returnSequences;
    }

    /** Floats of workspace {@link #forward} needs for {@code steps} timesteps. */
    public int workspaceSize(int steps) {
        return steps * 4 * units + 3 * units;
    }

    /** Output floats for {@code steps} timesteps. */
    public int outputSize(int steps) {
        return returnSequences ? steps * units : units;
    }

    /**
     * Runs the layer over {@code steps} timesteps of {@code in} features at
     * {@code x[xOff..]}, writing {@code outputSize(steps)} floats to {@code y[yOff..]}.
     */
    public void forward(float[] x, int xOff, int steps, float[] y, int yOff, float[] ws) {
        final int u = units;
        final int g4 = 4 * u;
        final int hOff = steps * g4;
        final int cOff = hOff + u;
        final int tmpOff = cOff + u;
        // Input projection of all timesteps at once: xp = x . kernel + bias.
        MatMul.matmulBias(x, xOff, steps, in, data, kernelOff, data, biasOff, g4, ws, 0);
        java.util.Arrays.fill(ws, hOff, hOff + 2 * u, 0f);
        for (int s = 0; s < steps; s++) {
            final int t = goBackwards ? steps - 1 - s : s;
            final int z = t * g4;
            MatMul.addVecMat(ws, hOff, u, data, recurrentOff, g4, ws, z);
            recurrentActivation.applyInPlace(ws, z, u);              // i
            recurrentActivation.applyInPlace(ws, z + u, u);          // f
            activation.applyInPlace(ws, z + 2 * u, u);               // c candidate
            recurrentActivation.applyInPlace(ws, z + 3 * u, u);      // o
            for (int j = 0; j < u; j++) {
                float c = ws[z + u + j] * ws[cOff + j] + ws[z + j] * ws[z + 2 * u + j];
                ws[cOff + j] = c;
                ws[tmpOff + j] = c;
            }
            activation.applyInPlace(ws, tmpOff, u);
            for (int j = 0; j < u; j++) {
                ws[hOff + j] = ws[z + 3 * u + j] * ws[tmpOff + j];
            }
            if (returnSequences) {
                System.arraycopy(ws, hOff, y, yOff + s * u, u);
            }
        }
        if (!returnSequences) {
            System.arraycopy(ws, hOff, y, yOff, u);
        }
    }
}
