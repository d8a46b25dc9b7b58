package keras2java.runtime;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs many predictions on several threads, each thread with its own model
 * instance (instances share the immutable weights, so they are cheap).  The
 * calling thread works too; the other chunks run on a shared pool of daemon
 * threads, so a call starts no threads.
 */
public final class Parallel {
    private Parallel() {
    }

    private static volatile java.util.concurrent.ExecutorService shared;

    /** A lazily created pool of daemon threads, one per processor, shared by all models. */
    private static java.util.concurrent.ExecutorService pool() {
        java.util.concurrent.ExecutorService p = shared;
        if (p == null) {
            synchronized (Parallel.class) {
                p = shared;
                if (p == null) {
                    final AtomicInteger count = new AtomicInteger();
                    p = java.util.concurrent.Executors.newFixedThreadPool(
                            Runtime.getRuntime().availableProcessors(), new java.util.concurrent.ThreadFactory() {
                                @Override
                                public Thread newThread(Runnable r) {
                                    Thread th = new Thread(r, "keras2java-predict-" + count.incrementAndGet());
                                    th.setDaemon(true);
                                    return th;
                                }
                            });
                    shared = p;
                }
            }
        }
        return p;
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
        // Contiguous chunks, one per thread; the caller runs the first chunk itself and
        // the others run on a shared pool of daemon threads (no thread start per call).
        final int chunks = t;
        final java.util.List<java.util.concurrent.Future<?>> futures =
                new java.util.ArrayList<java.util.concurrent.Future<?>>(chunks - 1);
        final java.util.concurrent.ExecutorService pool = pool();
        for (int k = 1; k < chunks; k++) {
            final int from = (int) ((long) n * k / chunks);
            final int to = (int) ((long) n * (k + 1) / chunks);
            futures.add(pool.submit(new Runnable() {
                @Override
                public void run() {
                    Worker w = factory.create();
                    for (int i = from; i < to; i++) {
                        out[i] = w.predictAll(samples[i]);
                    }
                }
            }));
        }
        RuntimeException failure = null;
        try {
            Worker w = factory.create();
            final int to = (int) ((long) n / chunks);
            for (int i = 0; i < to; i++) {
                out[i] = w.predictAll(samples[i]);
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        for (java.util.concurrent.Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while predicting", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
                            : new IllegalStateException(e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return out;
    }
}
