package keras2java.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs many predictions on several threads, each thread with its own model
 * instance (instances share the immutable weights, so they are cheap).
 */
public final class Parallel {
    private Parallel() {
    }

    /** One model instance's {@code predictAll}. */
    public interface Worker {
        float[][] predictAll(float[][] inputs);
    }

    /** Creates a new model instance for a thread. */
    public interface Factory {
        Worker create();
    }

    /**
     * Predicts every sample ({@code samples[i]} holds the model inputs of sample
     * i) with up to {@code threads} threads; {@code result[i]} holds sample i's
     * outputs.  {@code threads <= 0} means one thread per available processor.
     */
    public static float[][][] run(final float[][][] samples, int threads, final Factory factory) {
        if (samples == null) {
            throw new IllegalArgumentException("samples is null");
        }
        final int n = samples.length;
        final float[][][] out = new float[n][][];
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        t = Math.max(1, Math.min(t, n));
        if (t == 1) {
            Worker w = factory.create();
            for (int i = 0; i < n; i++) {
                out[i] = w.predictAll(samples[i]);
            }
            return out;
        }
        final AtomicInteger next = new AtomicInteger();
        final AtomicReference<RuntimeException> failure = new AtomicReference<RuntimeException>();
        Thread[] pool = new Thread[t];
        for (int k = 0; k < t; k++) {
            pool[k] = new Thread(new Runnable() {
                @Override
                public void run() {
                    try {
                        Worker w = factory.create();
                        for (int i = next.getAndIncrement(); i < n && failure.get() == null; i = next.getAndIncrement()) {
                            out[i] = w.predictAll(samples[i]);
                        }
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "keras2java-predict-" + k);
            pool[k].start();
        }
        for (Thread th : pool) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while predicting", e);
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return out;
    }
}
