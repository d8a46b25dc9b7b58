package bench;

import java.util.Random;

/** The three reference models: generated classes and their input shapes. */
final class Models {
    private Models() {
    }

    interface Predictor {
        float[] predict(float[] x);
    }

    static int[] shape(String name) {
        switch (name) {
            case "small": return k2jbench.small.Model.INPUT_SHAPE;
            case "medium": return k2jbench.medium.Model.INPUT_SHAPE;
            case "large": return k2jbench.large.Model.INPUT_SHAPE;
            default: throw new IllegalArgumentException(name);
        }
    }

    static Predictor create(String name) {
        switch (name) {
            case "small": return new k2jbench.small.Model()::predict;
            case "medium": return new k2jbench.medium.Model()::predict;
            case "large": return new k2jbench.large.Model()::predict;
            default: throw new IllegalArgumentException(name);
        }
    }

    static float[][][] batch(String name, float[][][] samples, int threads) {
        switch (name) {
            case "small": return k2jbench.small.Model.predictAllBatch(samples, threads);
            case "medium": return k2jbench.medium.Model.predictAllBatch(samples, threads);
            case "large": return k2jbench.large.Model.predictAllBatch(samples, threads);
            default: throw new IllegalArgumentException(name);
        }
    }

    /** The runtime's Kernels.active() (RuntimeInfo is written by run.py beside the generated models). */
    static String kernels() {
        return RuntimeInfo.kernels();
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextFloat() * 2 - 1;
        }
        return x;
    }
}
