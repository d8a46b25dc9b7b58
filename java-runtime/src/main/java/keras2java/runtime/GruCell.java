package keras2java.runtime;

/**
 * Keras GRU cell, gate order z, r, h.  {@code resetAfter=true}: bias
 * {@code (2, 3u)} (input bias row, recurrent bias row) and the reset gate is
 * applied after the recurrent product; {@code resetAfter=false}: bias
 * {@code (3u,)} and the reset gate multiplies h before it.
 */
public final class GruCell extends RnnCell {
    private final boolean resetAfter;
    private final int in;
    private final Activation activation;
    private final Activation recurrentActivation;
    /** Input kernel with the input bias (the whole (3u,) bias, or row 0 of the (2, 3u) bias). */
    private final Linear kernel;
    /**
     * reset_after: the whole {@code (u, 3u)} recurrent kernel; otherwise its z and r
     * columns {@code (u, 2u)}.
     */
    private final Linear recurrent;
    /** reset_before: the recurrent kernel's h columns {@code (u, u)}, applied to {@code r * h}; else null. */
    private final Linear recurrentH;
    /** reset_after: the recurrent bias (row 1 of the {@code (2, 3u)} bias, zeros without one); else null. */
    private final float[] recurrentBias;

    /**
     * @param biasOff offset of the bias ({@code (2, 3u)} or {@code (3u,)}), or -1 without bias
     */
    public GruCell(float[] data, int kernelOff, int recurrentOff, int biasOff, int in, int units,
                   boolean resetAfter, Activation activation, Activation recurrentActivation) {
        super(units);
        this.in = in;
        Check.slice(data, kernelOff, in * 3 * units, "GRU kernel");
        Check.slice(data, recurrentOff, units * 3 * units, "GRU recurrent kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, (resetAfter ? 6 : 3) * units, "GRU bias");
        }
        final int g3 = 3 * units;
        this.resetAfter = resetAfter;
        this.activation = activation;
        this.recurrentActivation = recurrentActivation;
        this.kernel = new Linear(data, kernelOff, in, g3, biasOff);
        if (resetAfter) {
            this.recurrent = new Linear(data, recurrentOff, units, g3, -1);
            this.recurrentH = null;
            this.recurrentBias = biasOff >= 0 ? Weights.copy(data, biasOff + g3, g3, "GRU bias") : new float[g3];
        } else {
            this.recurrent = new Linear(data, recurrentOff, g3, units, 2 * units, -1);
            this.recurrentH = new Linear(data, recurrentOff + 2 * units, g3, units, units, -1);
            this.recurrentBias = null;
        }
    }

    public int inputSize() {
        return in;
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
        stepBatch(p, z, 0, 1, st, hOff, 0, tmp, t);
    }

    @Override
    public void stepBatch(float[] p, int pOff, int ldp, int rows, float[] st, int sOff, int ldst,
                          float[] tmp, int tmpOff) {
        final int u = units;
        final int g3 = 3 * u;
        if (resetAfter) {
            // tmp = h . R + recurrent bias (row 1)
            for (int r = 0; r < rows; r++) {
                System.arraycopy(recurrentBias, 0, tmp, tmpOff + r * g3, g3);
            }
            recurrent.addRows(st, sOff, ldst, rows, tmp, tmpOff, g3);
            for (int r = 0; r < rows; r++) {
                final int z = pOff + r * ldp;
                final int t = tmpOff + r * g3;
                for (int j = 0; j < 2 * u; j++) {
                    p[z + j] = p[z + j] + tmp[t + j];
                }
                recurrentActivation.applyInPlace(p, z, 2 * u);          // z, r
                for (int j = 0; j < u; j++) {
                    p[z + 2 * u + j] = p[z + 2 * u + j] + p[z + u + j] * tmp[t + 2 * u + j];
                }
            }
        } else {
            // tmp = h . R_zr; then (r * h) . R_h
            for (int r = 0; r < rows; r++) {
                java.util.Arrays.fill(tmp, tmpOff + r * g3, tmpOff + r * g3 + 2 * u, 0f);
            }
            recurrent.addRows(st, sOff, ldst, rows, tmp, tmpOff, g3);
            for (int r = 0; r < rows; r++) {
                final int z = pOff + r * ldp;
                final int t = tmpOff + r * g3;
                final int hOff = sOff + r * ldst;
                for (int j = 0; j < 2 * u; j++) {
                    p[z + j] = p[z + j] + tmp[t + j];
                }
                recurrentActivation.applyInPlace(p, z, 2 * u);          // z, r
                for (int j = 0; j < u; j++) {
                    tmp[t + u + j] = p[z + u + j] * st[hOff + j];        // r * h
                }
                java.util.Arrays.fill(tmp, t + 2 * u, t + 3 * u, 0f);
            }
            recurrentH.addRows(tmp, tmpOff + u, g3, rows, tmp, tmpOff + 2 * u, g3);
            for (int r = 0; r < rows; r++) {
                final int z = pOff + r * ldp;
                final int t = tmpOff + r * g3;
                for (int j = 0; j < u; j++) {
                    p[z + 2 * u + j] = p[z + 2 * u + j] + tmp[t + 2 * u + j];
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            final int z = pOff + r * ldp;
            final int hOff = sOff + r * ldst;
            activation.applyInPlace(p, z + 2 * u, u);                   // hh
            for (int j = 0; j < u; j++) {
                final float zz = p[z + j];
                st[hOff + j] = zz * st[hOff + j] + (1f - zz) * p[z + 2 * u + j];
            }
        }
    }
}
