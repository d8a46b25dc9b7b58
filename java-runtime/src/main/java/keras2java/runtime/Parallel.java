package keras2java.runtime;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs many predictions on several threads, each thread with its own model
 * instance (instances share the immutable weights, so they are cheap; a {@link Pool}
 * keeps them between calls with the work buffers they grew).  The
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

    /**
     * One model instance's batch path: predicts samples {@code order[from .. from+count)}
     * together (their inputs have equal lengths), writing {@code out[order[i]]}.
     */
    public interface BatchWorker {
        void predictBatch(float[][][] samples, int[] order, int from, int count, float[][][] out);
    }

    /** Creates a new model instance (its {@link Worker} or {@link BatchWorker}) for a thread. */
    public interface Factory<T> {
        T create();
    }

    /**
     * The idle model instances of one class between calls, so that a call reuses the work buffers an
     * earlier call grew instead of allocating them again.  A thread takes an instance for its share
     * of a call ({@link #take}: an idle one, else a new one) and gives it back after; an instance is
     * used by one thread at a time.  At most one idle instance per processor is kept, each through a
     * {@link java.lang.ref.SoftReference} (the garbage collector may reclaim them when memory runs low).
     */
    public static final class Pool<T> {
        private final Factory<T> factory;
        private final java.util.ArrayDeque<java.lang.ref.SoftReference<T>> idle =
                new java.util.ArrayDeque<java.lang.ref.SoftReference<T>>();

        public Pool(Factory<T> factory) {
            this.factory = factory;
        }

        /** An idle instance (the most recently given back), else a new one. */
        public T take() {
            synchronized (idle) {
                while (!idle.isEmpty()) {
                    final T w = idle.pollFirst().get();
                    if (w != null) {
                        return w;
                    }
                }
            }
            return factory.create();
        }

        /** Gives {@code w} back for a later call (dropped when one instance per processor is idle). */
        public void give(T w) {
            synchronized (idle) {
                if (idle.size() < Runtime.getRuntime().availableProcessors()) {
                    idle.addFirst(new java.lang.ref.SoftReference<T>(w));
                }
            }
        }
    }

    /**
     * Samples per batched call at most: bounds the work buffers (a recurrent step is a
     * {@code [rows x units]} matrix product; more rows than this gain little).
     */
    public static final int MAX_BATCH = 64;

    /** A contiguous range of samples, run by one thread. */
    private interface Chunk {
        void run(int from, int to);
    }

    /**
     * Predicts every sample ({@code samples[i]} holds the model inputs of sample
     * i) with up to {@code threads} threads; {@code result[i]} holds sample i's
     * outputs.  {@code threads <= 0} means one thread per available processor.
     */
    public static float[][][] run(final float[][][] samples, int threads, final Pool<Worker> pool) {
        if (samples == null) {
            throw new IllegalArgumentException("samples is null");
        }
        final float[][][] out = new float[samples.length][][];
        split(samples.length, threads, new Chunk() {
            @Override
            public void run(int from, int to) {
                final Worker w = pool.take();
                for (int i = from; i < to; i++) {
                    out[i] = w.predictAll(samples[i]);
                }
                pool.give(w);
            }
        });
        return out;
    }

    /**
     * As {@link #run}, batched: the samples are grouped by the lengths of their inputs
     * (samples of equal lengths run together, at most {@link #MAX_BATCH} per call), the
     * groups split into one contiguous range per thread, and each thread's model
     * instance predicts its range batch by batch.  Each sample's result does not
     * depend on the batch it ran in, nor on the number of threads.
     */
    public static float[][][] runBatched(final float[][][] samples, int threads, final Pool<BatchWorker> pool) {
        return runBatched(samples, threads, pool, 0);
    }

    /**
     * Floats of one layer's output over a batch at most (16 MiB): a batch runs layer by layer, so
     * larger batches of large activations (a CNN's feature maps) stream each layer's output through
     * memory instead of cache and run slower per sample than one sample at a time.
     */
    public static final int BATCH_FLOATS = 4 * 1024 * 1024;

    /**
     * {@link #runBatched(float[][][], int, Pool)} for a model whose largest layer output has
     * {@code grow} floats per float of a sample's inputs: each batch holds at most
     * {@code BATCH_FLOATS / (grow * input floats)} samples (at least one).
     */
    public static float[][][] runBatched(final float[][][] samples, int threads, final Pool<BatchWorker> pool,
                                         final int grow) {
        if (samples == null) {
            throw new IllegalArgumentException("samples is null");
        }
        final int[] order = byLengths(samples);
        final float[][][] out = new float[samples.length][][];
        split(samples.length, threads, new Chunk() {
            @Override
            public void run(int from, int to) {
                final BatchWorker w = pool.take();
                batches(samples, order, from, to, w, out, grow);
                pool.give(w);
            }
        });
        return out;
    }

    /** The batch path on the calling thread, with one model instance's worker. */
    public static float[][][] batch(float[][][] samples, BatchWorker worker) {
        return batch(samples, worker, 0);
    }

    /** {@link #batch(float[][][], BatchWorker)} capped as {@link #runBatched(float[][][], int, Pool, int)} caps. */
    public static float[][][] batch(float[][][] samples, BatchWorker worker, int grow) {
        if (samples == null) {
            throw new IllegalArgumentException("samples is null");
        }
        final int[] order = byLengths(samples);
        final float[][][] out = new float[samples.length][][];
        batches(samples, order, 0, samples.length, worker, out, grow);
        return out;
    }

    /**
     * Input {@code k} of samples {@code order[from .. from+count)}, one after the other (their
     * lengths are equal: the batch path checks each sample first), in {@code stacked[k]} (grown
     * when too short; kept for the next batch).
     */
    public static float[] stack(float[][][] samples, int[] order, int from, int count, int k, float[][] stacked) {
        final int len = samples[order[from]][k].length;
        final float[] x = stacked[k] != null && stacked[k].length >= count * len ? stacked[k] : new float[count * len];
        stacked[k] = x;
        for (int i = 0; i < count; i++) {
            System.arraycopy(samples[order[from + i]][k], 0, x, i * len, len);
        }
        return x;
    }

    /** Runs {@code order[from..to)} in batches of samples whose inputs have equal lengths. */
    private static void batches(float[][][] samples, int[] order, int from, int to, BatchWorker worker,
                                float[][][] out, int grow) {
        int i = from;
        while (i < to) {
            final int most = most(samples[order[i]], grow);
            int j = i + 1;
            while (j < to && j - i < most && sameShape(samples[order[i]], samples[order[j]])) {
                j++;
            }
            worker.predictBatch(samples, order, i, j - i, out);
            i = j;
        }
    }

    /** Samples per batch at most for a batch starting with {@code sample} (0 {@code grow}: no cap). */
    static int most(float[][] sample, int grow) {
        long floats = 0;
        if (grow > 0 && sample != null) {
            for (float[] x : sample) {
                floats += x == null ? 0 : x.length;
            }
        }
        if (floats == 0) {
            return MAX_BATCH;
        }
        return (int) Math.max(1, Math.min(MAX_BATCH, BATCH_FLOATS / (floats * grow)));
    }

    /** Sample indices sorted (stably) by the lengths of their inputs; malformed samples first. */
    static int[] byLengths(final float[][][] samples) {
        final Integer[] idx = new Integer[samples.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, new java.util.Comparator<Integer>() {
            @Override
            public int compare(Integer a, Integer b) {
                return Parallel.compare(samples[a], samples[b]);
            }
        });
        final int[] order = new int[idx.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = idx[i];
        }
        return order;
    }

    /**
     * Orders samples by their number of inputs, then their inputs' lengths; a null
     * sample or input sorts first.
     */
    static int compare(float[][] a, float[][] b) {
        if (a == null || b == null) {
            return a == b ? 0 : a == null ? -1 : 1;
        }
        if (a.length != b.length) {
            return a.length < b.length ? -1 : 1;
        }
        for (int k = 0; k < a.length; k++) {
            if (a[k] == null || b[k] == null) {
                if (a[k] != b[k]) {
                    return a[k] == null ? -1 : 1;
                }
            } else if (a[k].length != b[k].length) {
                return a[k].length < b[k].length ? -1 : 1;
            }
        }
        return 0;
    }

    /** Samples that can run in one batch: inputs of equal lengths, none null. */
    static boolean sameShape(float[][] a, float[][] b) {
        if (a == null || b == null || compare(a, b) != 0) {
            return false;
        }
        for (float[] x : a) {
            if (x == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs {@code task} over {@code [0, n)} in contiguous chunks, one per thread: the
     * caller runs the first chunk itself and the others run on a shared pool of daemon
     * threads (no thread start per call).
     */
    private static void split(int n, int threads, final Chunk task) {
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        t = Math.max(1, Math.min(t, n));
        if (t == 1) {
            task.run(0, n);
            return;
        }
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
                    task.run(from, to);
                }
            }));
        }
        RuntimeException failure = null;
        try {
            task.run(0, (int) ((long) n / chunks));
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
    }
}
