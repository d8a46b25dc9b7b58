package keras2java.runtime;

/** Keras LSTM cell: fused kernels, gate order i, f, c, o; state (h, c). */
public final class LstmCell extends RnnCell {
    private final int in;
    private final Activation activation;
    private final Activation recurrentActivation;
    private final Linear kernel;
    private final Linear recurrent;
    /** tanh and sigmoid, the Keras defaults: the gates are computed in one fused pass. */
    private final boolean standard;

    /**
     * @param biasOff offset of the {@code (4u,)} bias, or -1 without bias
     */
    public LstmCell(float[] data, int kernelOff, int recurrentOff, int biasOff, int in, int units,
                    Activation activation, Activation recurrentActivation) {
        super(units);
        this.in = in;
        Check.slice(data, kernelOff, in * 4 * units, "LSTM kernel");
        Check.slice(data, recurrentOff, units * 4 * units, "LSTM recurrent kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, 4 * units, "LSTM bias");
        }
        this.activation = activation;
        this.recurrentActivation = recurrentActivation;
        this.standard = activation.kind() == Activation.TANH && recurrentActivation.kind() == Activation.SIGMOID;
        if (standard) {
            // Kernels.lstmGates takes gates i, f and o as half their pre-activation
            final float[] k = halfSigmoidGates(data, kernelOff, in, biasOff, units);
            this.kernel = new Linear(k, 0, in, 4 * units, biasOff >= 0 ? in * 4 * units : -1);
            this.recurrent = new Linear(halfSigmoidGates(data, recurrentOff, units, -1, units), 0, units,
                    4 * units, -1);
        } else {
            this.kernel = new Linear(data, kernelOff, in, 4 * units, biasOff);
            this.recurrent = new Linear(data, recurrentOff, units, 4 * units, -1);
        }
    }

    /**
     * A copy of the {@code (rows, 4u)} matrix at {@code data[off..]}, then the bias at
     * {@code data[biasOff..]} if any, with the columns of gates i, f and o halved.  Halving is
     * exact, so the products and their sums are exactly half (the gates get the bits of
     * {@code 0.5f * x}).
     */
    private static float[] halfSigmoidGates(float[] data, int off, int rows, int biasOff, int u) {
        final int g = 4 * u;
        final float[] m = new float[rows * g + (biasOff >= 0 ? g : 0)];
        System.arraycopy(data, off, m, 0, rows * g);
        if (biasOff >= 0) {
            System.arraycopy(data, biasOff, m, rows * g, g);
        }
        for (int r = 0; r < m.length; r += g) {
            for (int j = r; j < r + 2 * u; j++) {
                m[j] *= 0.5f;
            }
            for (int j = r + 3 * u; j < r + g; j++) {
                m[j] *= 0.5f;
            }
        }
        return m;
    }

    public int inputSize() {
        return in;
    }

    public int projectionSize() {
        return 4 * units;
    }

    public int stateSize() {
        return 2 * units;
    }

    public int scratchSize() {
        return units;
    }

    public void project(float[] x, int xOff, int steps, float[] p, int pOff) {
        kernel.forward(x, xOff, steps, p, pOff);
    }

    public void step(float[] p, int z, float[] st, int hOff, float[] tmp, int tmpOff) {
        recurrent.addTo(st, hOff, p, z);
        gates(p, z, st, hOff, tmp, tmpOff);
    }

    @Override
    public void stepBatch(float[] p, int pOff, int ldp, int rows, float[] st, int sOff, int ldst,
                          float[] tmp, int tmpOff) {
        recurrent.addRows(st, sOff, ldst, rows, p, pOff, ldp);
        if (standard) {
            Kernels.ACTIVE.lstmGatesRows(p, pOff, ldp, rows, st, sOff, ldst, units);
            return;
        }
        for (int r = 0; r < rows; r++) {
            gates(p, pOff + r * ldp, st, sOff + r * ldst, tmp, tmpOff + r * units);
        }
    }

    /** The gate activations and the state update, after the recurrent product. */
    private void gates(float[] p, int z, float[] st, int hOff, float[] tmp, int tmpOff) {
        final int u = units;
        final int cOff = hOff + u;
        if (standard) {
            Kernels.ACTIVE.lstmGates(p, z, st, hOff, u);
            return;
        }
        recurrentActivation.applyInPlace(p, z, u);              // i
        recurrentActivation.applyInPlace(p, z + u, u);          // f
        activation.applyInPlace(p, z + 2 * u, u);               // c candidate
        recurrentActivation.applyInPlace(p, z + 3 * u, u);      // o
        for (int j = 0; j < u; j++) {
            float c = p[z + u + j] * st[cOff + j] + p[z + j] * p[z + 2 * u + j];
            st[cOff + j] = c;
            tmp[tmpOff + j] = c;
        }
        activation.applyInPlace(tmp, tmpOff, u);
        for (int j = 0; j < u; j++) {
            st[hOff + j] = p[z + 3 * u + j] * tmp[tmpOff + j];
        }
    }
}
