package keras2java.runtime;

/** Keras Dense: {@code act(x . kernel + bias)} on the last axis.  Immutable. */
public final class Dense {
    private final int units;
    private final Activation activation;
    private final Linear kernel;

    /**
     * @param data      the model's weight array
     * @param kernelOff offset of the {@code (in, units)} kernel
     * @param biasOff   offset of the bias, or -1 without bias
     */
    public Dense(float[] data, int kernelOff, int biasOff, int in, int units, Activation activation) {
        Check.slice(data, kernelOff, in * units, "Dense kernel");
        if (biasOff >= 0) {
            Check.slice(data, biasOff, units, "Dense bias");
        }
        this.units = units;
        this.activation = activation;
        this.kernel = new Linear(data, kernelOff, in, units, biasOff);
    }

    /** Applies the layer to {@code rows} rows of {@code in} values. */
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        kernel.forward(x, xOff, rows, y, yOff);
        activation.applyRows(y, yOff, rows, units);
    }
}
