package keras2java.runtime;

/** Keras Reshape: the data is unchanged; only the timestep count of a variable-length input is computed. */
public final class Reshape {
    private Reshape() {
    }

    /**
     * The timesteps of a Keras {@code Reshape((-1, ...))} of an input with a variable number of
     * timesteps (the data is unchanged): {@code steps * ratioIn / ratioOut}, which needs
     * {@code steps} to be a multiple of {@code ratioOut} (the per-step sizes' ratio in lowest terms).
     */
    public static int reshapeSteps(int steps, int ratioIn, int ratioOut, String layer, String inShape,
                                   String outShape) {
        if (steps % ratioOut != 0) {
            throw new IllegalArgumentException(layer + " reshapes " + inShape + " to " + outShape
                    + " and needs a number of timesteps that is a multiple of " + ratioOut + ", got " + steps);
        }
        return steps / ratioOut * ratioIn;
    }
}
