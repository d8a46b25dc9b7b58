package keras2java.runtime;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;

/**
 * Opt-in intra-op threads for one row of a large matrix product (the batch-1 recurrent step of
 * a large model): with {@code -Dkeras2java.intraOpThreads=N} (N >= 2), a product of one row with
 * at least {@link #MIN_WEIGHTS} weights is split by columns over the calling thread and N-1
 * daemon threads.  Each output's sum is unchanged (same inputs, same order), so the bits are
 * those of one thread.  Off by default: the threads are shared by every caller in the JVM.
 * A pool of its own, not {@link Parallel}'s: a predict task running on that fixed pool and
 * waiting for products queued behind it on the same pool could wait for ever; these tasks
 * never wait, so callers only queue.
 */
final class IntraOp {
    /**
     * Weights of a product at least before it is split: 512 Ki (2 MiB of floats), or
     * {@code -Dkeras2java.intraOpMinWeights}.  Handing a share to another thread and waiting for it
     * costs tens of microseconds (a thread wake-up), while a one-row product runs at about 0.1-0.2 ns
     * per weight from L2 or L3: at 256 KiB (the medium benchmark model's 128 x 512 recurrent matrix,
     * about 4 us) every timestep paid ten times its product (13.3 ms against 1.4 ms per sequence).
     * From 2 MiB on a product costs 100 us or more, and halves no longer fit one core's L2 together,
     * so the split can gain (the large model's 512 x 2048 matrix, 4 MiB).
     */
    static final int MIN_WEIGHTS = minWeights();

    /** Threads per split product (1: off). */
    static final int THREADS = threads();

    private static final ExecutorService POOL = THREADS > 1 ? Executors.newFixedThreadPool(THREADS - 1,
            new ThreadFactory() {
                public Thread newThread(Runnable r) {
                    final Thread t = new Thread(r, "keras2java-intra-op");
                    t.setDaemon(true);
                    return t;
                }
            }) : null;

    private IntraOp() {
    }

    private static int minWeights() {
        try {
            return Math.max(1, Integer.getInteger("keras2java.intraOpMinWeights", 512 * 1024));
        } catch (SecurityException e) {
            return 512 * 1024;
        }
    }

    private static int threads() {
        try {
            return Math.max(1, Integer.getInteger("keras2java.intraOpThreads", 1));
        } catch (SecurityException e) {
            return 1;
        }
    }

    /** Whether {@link #single} splits a product of {@code in x out}. */
    static boolean splits(int in, int out) {
        return THREADS > 1 && (long) in * out >= MIN_WEIGHTS && out >= 32 * THREADS;
    }

    /**
     * {@code y[yOff ..][0, out) += x[xOff ..][0, in) . w} by {@code k.single} over column ranges
     * (multiples of 16 columns), one per thread, each thread in its own accumulator.
     */
    static void single(final PortableKernels k, final float[] x, final int xOff, final int in, final float[][] w,
                       final int out, final float[] y, final int yOff) {
        final int share = ((out + THREADS - 1) / THREADS + 15) & ~15;
        @SuppressWarnings("unchecked")
        final Future<?>[] done = new Future<?>[THREADS - 1];
        for (int t = 1; t < THREADS; t++) {
            final int j0 = Math.min(out, t * share);
            final int j1 = t == THREADS - 1 ? out : Math.min(out, j0 + share);
            done[t - 1] = POOL.submit(new Runnable() {
                public void run() {
                    range(k, x, xOff, in, w, y, yOff, j0, j1);
                }
            });
        }
        range(k, x, xOff, in, w, y, yOff, 0, Math.min(out, share));
        for (Future<?> f : done) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted in an intra-op product", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("intra-op product failed", e.getCause());
            }
        }
    }

    private static void range(PortableKernels k, float[] x, int xOff, int in, float[][] w, float[] y, int yOff,
                              int j0, int j1) {
        if (j0 >= j1) {
            return;
        }
        final float[][] acc = PortableKernels.acc(j1);
        System.arraycopy(y, yOff + j0, acc[0], j0, j1 - j0);
        k.single(x, xOff, 0, in, w, acc, j0, j1);
        System.arraycopy(acc[0], j0, y, yOff + j0, j1 - j0);
    }
}
