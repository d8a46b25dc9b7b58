package bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The generated Java: batch 1; 64 sequences one after another on one thread;
 * the batch path ({@code predictAllBatch}: each layer over the whole batch) on
 * one thread for batches of 64 and 256, and on all cores for 64.  The kernels:
 * {@code default} sets nothing (what the JVM of the fork picks with the flags
 * benchmarks/run.py gives it, none for the default columns), {@code portable}
 * and {@code vector} ask for those (vector needs
 * {@code -jvmArgsAppend "--add-modules jdk.incubator.vector"}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class JavaBench {
    @Param({"small", "medium", "large"})
    public String model;

    /** keras2java.kernels, or default (no property): each parameter combination runs in a JVM of its own (a fork). */
    @Param({"default", "portable", "vector"})
    public String kernels;

    private Models.Predictor predictor;
    private float[] x;
    private float[][][] samples;
    private float[][][] samples256;

    @Setup
    public void setup() {
        if (!kernels.equals("default")) {
            System.setProperty("keras2java.kernels", kernels);   // before the first model class loads
        }
        int[] s = Models.shape(model);
        int n = s[0] * s[1];
        predictor = Models.create(model);
        String want = kernels.equals("vector") ? "jdk.incubator.vector" : kernels.equals("portable") ? "portable Java" : "";
        if (!Models.kernels().startsWith(want) || (kernels.equals("portable") && !Models.kernels().equals(want))) {
            throw new IllegalStateException("asked for " + kernels + " kernels, running " + Models.kernels());
        }
        x = Models.random(n, 1);
        samples = new float[64][][];
        for (int i = 0; i < 64; i++) {
            samples[i] = new float[][] {Models.random(n, 100 + i)};
        }
        samples256 = new float[256][][];
        for (int i = 0; i < 256; i++) {
            samples256[i] = new float[][] {Models.random(n, 100 + i)};
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

    /** The batch path, one thread, 64 sequences. */
    @Benchmark
    public float[][][] batch64OneThread_batched() {
        return Models.batch(model, samples, 1);
    }

    /** The batch path, one thread, 256 sequences. */
    @Benchmark
    public float[][][] batch256OneThread_batched() {
        return Models.batch(model, samples256, 1);
    }

    /** The batch path, all cores, 64 sequences. */
    @Benchmark
    public float[][][] batch64AllCores() {
        return Models.batch(model, samples, 0);
    }
}
