package bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** The generated Java: batch 1, batch 64 on one thread, batch 64 on all cores. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class JavaBench {
    @Param({"small", "medium", "large"})
    public String model;

    private Models.Predictor predictor;
    private float[] x;
    private float[][][] samples;

    @Setup
    public void setup() {
        int[] s = Models.shape(model);
        int n = s[0] * s[1];
        predictor = Models.create(model);
        x = Models.random(n, 1);
        samples = new float[64][][];
        for (int i = 0; i < 64; i++) {
            samples[i] = new float[][] {Models.random(n, 100 + i)};
        }
    }

    @Benchmark
    public float[] batch1() {
        return predictor.predict(x);
    }

    @Benchmark
    public float batch64OneThread() {
        float acc = 0;
        for (float[][] sample : samples) {
            acc += predictor.predict(sample[0])[0];
        }
        return acc;
    }

    @Benchmark
    public float[][][] batch64AllCores() {
        return Models.batch(model, samples, 0);
    }
}
