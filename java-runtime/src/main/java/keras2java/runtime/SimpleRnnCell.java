package keras2java.runtime;

/** Keras SimpleRNN cell: {@code h = act(x . K + b + h . R)}. */
public final class SimpleRnnCell extends RnnCell {
    private final int in;
    private final Activation activation;
    private final Linear kernel;
    private final Linear recurrent;

    public SimpleRnnCell(float[] data, int kernelOff, int recurrentOff, int biasOff, int in, int units,
                         Activation activation) {
        super(units);
        this.in = in;
        Check.slice(data, kernelOff, in * units, "SimpleRNN kernel");
        Check.slice(data, recurrentOff, units * units, "SimpleRNN recurrent kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, units, "SimpleRNN bias");
        }
        this.activation = activation;
        this.kernel = new Linear(data, kernelOff, in, units, biasOff);
        this.recurrent = new Linear(data, recurrentOff, units, units, -1);
    }

    public int inputSize() {
        return in;
    }

    public int projectionSize() {
        return units;
    }

    public int stateSize() {
        return units;
    }

    public int scratchSize() {
        return units;
    }

    public void project(float[] x, int xOff, int steps, float[] p, int pOff) {
        kernel.forward(x, xOff, steps, p, pOff);
    }

    public void step(float[] p, int z, float[] st, int hOff, float[] tmp, int t) {
        java.util.Arrays.fill(tmp, t, t + units, 0f);
        recurrent.addTo(st, hOff, tmp, t);
        finish(p, z, st, hOff, tmp, t);
    }

    @Override
    public void stepBatch(float[] p, int pOff, int ldp, int rows, float[] st, int sOff, int ldst,
                          float[] tmp, int tmpOff) {
        java.util.Arrays.fill(tmp, tmpOff, tmpOff + rows * units, 0f);
        recurrent.addRows(st, sOff, ldst, rows, tmp, tmpOff, units);
        for (int r = 0; r < rows; r++) {
            finish(p, pOff + r * ldp, st, sOff + r * ldst, tmp, tmpOff + r * units);
        }
    }

    private void finish(float[] p, int z, float[] st, int hOff, float[] tmp, int t) {
        final int u = units;
        for (int j = 0; j < u; j++) {
            p[z + j] = p[z + j] + tmp[t + j];
        }
        activation.applyInPlace(p, z, u);
        System.arraycopy(p, z, st, hOff, u);
    }
}
