package keras2java.runtime;

/**
 * Keras GRU cell, gate order z, r, h.  {@code resetAfter=true}: bias
 * {@code (2, 3u)} (input bias row, recurrent bias row) and the reset gate is
 * applied after the recurrent product; {@code resetAfter=false}: bias
 * {@code (3u,)} and the reset gate multiplies h before it.
 */
public final class GruCell extends RnnCell {
    private final int kernelOff;
    private final int recurrentOff;
    private final int biasOff;
    private final boolean resetAfter;
    private final Activation activation;
    private final Activation recurrentActivation;
    /** Input kernel with the input bias (the whole (3u,) bias, or row 0 of the (2, 3u) bias). */
    private final Linear kernel;
    /** The recurrent kernel (reset_after only; otherwise its columns are used in two parts). */
    private final Linear recurrent;

    /**
     * @param biasOff offset of the bias ({@code (2, 3u)} or {@code (3u,)}), or -1 without bias
     */
    public GruCell(float[] data, int kernelOff, int recurrentOff, int biasOff, int in, int units,
                   boolean resetAfter, Activation activation, Activation recurrentActivation) {
        super(data, in, units);
        Check.slice(data, kernelOff, in * 3 * units, "GRU kernel");
        Check.slice(data, recurrentOff, units * 3 * units, "GRU recurrent kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, (resetAfter ? 6 : 3) * units, "GRU bias");
        }
        this.kernelOff = kernelOff;
        this.recurrentOff = recurrentOff;
        this.biasOff = biasOff;
        this.resetAfter = resetAfter;
        this.activation = activation;
        this.recurrentActivation = recurrentActivation;
        this.kernel = new Linear(data, kernelOff, in, 3 * units, biasOff);
        this.recurrent = resetAfter ? new Linear(data, recurrentOff, units, 3 * units, -1) : null;
    }

    public int projectionSize() {
        return 3 * units;
    }

    public int stateSize() {
        return units;
    }

    public int scratchSize() {
        return 3 * units;
    }

    public void project(float[] x, int xOff, int steps, float[] p, int pOff) {
        kernel.forward(x, xOff, steps, p, pOff);
    }

    public void step(float[] p, int z, float[] st, int hOff, float[] tmp, int t) {
        final int u = units;
        final int g3 = 3 * u;
        if (resetAfter) {
            // tmp = h . R + recurrent bias (row 1)
            if (biasOff >= 0) {
                System.arraycopy(data, biasOff + g3, tmp, t, g3);
            } else {
                java.util.Arrays.fill(tmp, t, t + g3, 0f);
            }
            recurrent.addTo(st, hOff, tmp, t);
            for (int j = 0; j < 2 * u; j++) {
                p[z + j] = p[z + j] + tmp[t + j];
            }
            recurrentActivation.applyInPlace(p, z, 2 * u);          // z, r
            for (int j = 0; j < u; j++) {
                p[z + 2 * u + j] = p[z + 2 * u + j] + p[z + u + j] * tmp[t + 2 * u + j];
            }
        } else {
            java.util.Arrays.fill(tmp, t, t + 2 * u, 0f);
            addVecMatStrided(st, hOff, u, data, recurrentOff, g3, 2 * u, tmp, t);
            for (int j = 0; j < 2 * u; j++) {
                p[z + j] = p[z + j] + tmp[t + j];
            }
            recurrentActivation.applyInPlace(p, z, 2 * u);          // z, r
            for (int j = 0; j < u; j++) {
                tmp[t + u + j] = p[z + u + j] * st[hOff + j];        // r * h
            }
            java.util.Arrays.fill(tmp, t + 2 * u, t + 3 * u, 0f);
            addVecMatStrided(tmp, t + u, u, data, recurrentOff + 2 * u, g3, u, tmp, t + 2 * u);
            for (int j = 0; j < u; j++) {
                p[z + 2 * u + j] = p[z + 2 * u + j] + tmp[t + 2 * u + j];
            }
        }
        activation.applyInPlace(p, z + 2 * u, u);                   // hh
        for (int j = 0; j < u; j++) {
            final float zz = p[z + j];
            st[hOff + j] = zz * st[hOff + j] + (1f - zz) * p[z + 2 * u + j];
        }
    }
}
