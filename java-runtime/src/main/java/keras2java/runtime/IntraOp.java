package keras2java.runtime;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Opt-in intra-op threads for the latency of one prediction: with
 * {@code -Dkeras2java.intraOpThreads=N} (N >= 2), a product of one row with at least
 * {@link #MIN_WEIGHTS} weights (the batch-1 recurrent step of a large model) is split by columns
 * over the calling thread and N-1 daemon threads ({@link #single}), {@link Linear} splits the rows
 * of products of as many multiply-adds ({@link #splitsRows}), and {@link Conv2D} its pixels:
 * chunks, or output rows ({@link #run} of a {@link Job}).  Each output's sum is unchanged (same inputs,
 * same order), so the bits are those of one thread.  Off by default: the threads are shared by
 * every caller in the JVM, and one caller at a time uses them (another caller meanwhile computes
 * its work alone).
 *
 * <p>A recurrent step hands out a product every 50-300 microseconds, so the helpers wait by
 * spinning for {@link #SPIN_NANOS} after each share before they park: a parked thread's wake-up
 * costs tens of microseconds per step, which ate the gain (measured on the large benchmark model,
 * JDK 17, 2 threads against 37 ms on one: an executor's tasks 30-38 ms per sequence, spinning
 * helpers 16-19 ms).
 */
final class IntraOp {
    /**
     * Weights of a product at least before it is split: 512 Ki (2 MiB of floats), or
     * {@code -Dkeras2java.intraOpMinWeights}.  Handing a share to another thread and waiting for it
     * costs microseconds, while a one-row product runs at about 0.1-0.2 ns per weight from L2 or L3:
     * at 256 KiB (the medium benchmark model's 128 x 512 recurrent matrix, about 4 us) the hand-off
     * is a large part of the product.  From 2 MiB on a product costs 100 us or more, and halves no
     * longer fit one core's L2 together, so the split can gain (the large model's 512 x 2048
     * matrix, 4 MiB).
     */
    static final int MIN_WEIGHTS = minWeights();

    /** Threads per split product (1: off). */
    static final int THREADS = threads();

    /** How long a helper spins for its next share before it parks. */
    static final long SPIN_NANOS = 2000000L;

    private static final Helper[] HELPERS = helpers();

    /** Set while one caller uses the helpers. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();

    private IntraOp() {
    }

    private static Helper[] helpers() {
        final Helper[] h = new Helper[Math.max(0, THREADS - 1)];
        for (int i = 0; i < h.length; i++) {
            h[i] = new Helper();
            h[i].start();
        }
        return h;
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

    /** Whether a product of {@code rows} rows (two or more) of {@code in x out} is shared out by rows. */
    static boolean splitsRows(int rows, int in, int out) {
        return THREADS > 1 && rows >= 2 * THREADS && (long) rows * in * out >= MIN_WEIGHTS;
    }

    /** The first row of part {@code part} of {@code parts} (blocks of 4 rows, the kernels' widest). */
    static int rowShare(int rows, int part, int parts) {
        return part >= parts ? rows : Math.min(rows, ((rows + parts - 1) / parts + 3) / 4 * 4 * part);
    }

    /** Work split in parts: {@link #run} calls {@code run(t, parts)} once for each t, each on its own thread. */
    interface Job {
        void run(int part, int parts);
    }

    /**
     * Runs {@code job}'s {@link #THREADS} parts, part 0 on the calling thread, and returns true; or
     * returns false at once, running nothing, when intra-op threads are off or another caller
     * holds the helpers (the caller then does the work itself).  The first failure of a part is
     * rethrown once every part has ended.
     */
    static boolean run(Job job) {
        if (THREADS < 2 || !BUSY.compareAndSet(false, true)) {
            return false;
        }
        try {
            for (int t = 1; t < THREADS; t++) {
                HELPERS[t - 1].post(job, t);
            }
            Throwable failed = null;
            try {
                job.run(0, THREADS);
            } catch (RuntimeException e) {
                failed = e;
            } catch (Error e) {
                failed = e;
            }
            for (Helper h : HELPERS) {
                final Throwable e = h.await();
                if (failed == null) {
                    failed = e;
                }
            }
            if (failed instanceof RuntimeException) {
                throw (RuntimeException) failed;
            }
            if (failed instanceof Error) {
                throw (Error) failed;
            }
            return true;
        } finally {
            BUSY.set(false);
        }
    }

    /**
     * {@code y[yOff ..][0, out) += x[xOff ..][0, in) . w} by {@link Kernels#rowColumns} over column
     * ranges (multiples of the kernels' {@link Kernels#rowShareColumns}), one per thread.  When another
     * caller holds the helpers, the calling thread computes every column (the same sums).
     */
    static void single(final Kernels k, final float[] x, final int xOff, final int in, final float[][] w,
                       final int out, final float[] y, final int yOff) {
        final int g = k.rowShareColumns();
        final int share = ((out + THREADS - 1) / THREADS + g - 1) / g * g;
        final boolean split = run(new Job() {
            public void run(int part, int parts) {
                final int j0 = Math.min(out, part * share);
                final int j1 = part == parts - 1 ? out : Math.min(out, j0 + share);
                if (j0 < j1) {
                    k.rowColumns(x, xOff, in, w, out, y, yOff, j0, j1);
                }
            }
        });
        if (!split) {
            k.rowColumns(x, xOff, in, w, out, y, yOff, 0, out);
        }
    }

    /**
     * A helper thread: {@link #post} hands it one part of a job (a volatile sequence number
     * publishes the fields), it runs the part and publishes {@link #done}; between parts it
     * spins, then parks.
     */
    private static final class Helper extends Thread {
        private volatile int posted;
        private volatile int done;
        private volatile boolean parked;
        private Job job;
        private int part;
        private Throwable failure;

        Helper() {
            super("keras2java-intra-op");
            setDaemon(true);
        }

        /** Called by the one caller holding {@link #BUSY}. */
        void post(Job job, int part) {
            this.job = job;
            this.part = part;
            this.failure = null;
            posted = posted + 1;
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        /** Waits for the last posted part; its failure, or null. */
        Throwable await() {
            final int target = posted;
            int spins = 0;
            while (done != target) {
                if (++spins > 1 << 16) {
                    Thread.yield();
                }
            }
            job = null;
            return failure;
        }

        @Override
        public void run() {
            int seen = 0;
            for (;;) {
                long since = System.nanoTime();
                int spins = 0;
                while (posted == seen) {
                    if ((++spins & 255) == 0 && System.nanoTime() - since > SPIN_NANOS) {
                        parked = true;
                        if (posted == seen) {
                            LockSupport.park(this);
                        }
                        parked = false;
                        since = System.nanoTime();
                    }
                }
                seen = posted;
                try {
                    job.run(part, THREADS);
                } catch (Throwable e) {
                    failure = e;
                }
                done = seen;
            }
        }
    }
}
