import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;

/**
 * Checks that a generated model class allocates nothing per call beyond its outputs,
 * once warmed up: {@code java AllocationProbe <class> <timesteps>} calls
 * {@code predictAll(float[][])} (and {@code predict(float[])} and a session's
 * {@code stepAll(float[])} where the class has them) 1,000 times on zero inputs
 * ({@code timesteps} for a variable time axis) and prints one line per path:
 * {@code <path> <bytes allocated per call> <bytes of the outputs per call>}.
 * The batch paths ({@code predictAllBatch} on one thread, and {@code predictBatch} where the class
 * has it) run {@value #BATCH} such samples per call; their outputs include the arrays that hold the
 * samples' outputs, and their lines add the bytes of the call's bookkeeping allowed on top
 * ({@link #bookkeeping}: the arrays of the samples' order and the per-sample wrappers).
 * Allocation is measured as the runtime self-tests do (SelfTests.allocatesNothing):
 * com.sun.management.ThreadMXBean.getThreadAllocatedBytes of this thread.
 */
public final class AllocationProbe {
    private static final int CALLS = 1000;
    private static final int BATCH = 4;

    private AllocationProbe() {
    }

    public static void main(String[] args) throws Exception {
        final Class<?> cls = Class.forName(args[0]);
        final int steps = Integer.parseInt(args[1]);
        final int[][] shapes = (int[][]) cls.getField("INPUT_SHAPES").get(null);
        final float[][] inputs = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            int n = 1;
            for (int d : shapes[i]) {
                n *= d < 0 ? steps : d;
            }
            inputs[i] = new float[n];
        }
        final Object model = cls.getConstructor().newInstance();
        if (allocated() < 0) {
            System.out.println("unmeasurable");
            return;
        }
        final Method echo = AllocationProbe.class.getDeclaredMethod("echo", Object.class);
        final long base = perCall(echo, null, new Object[] {inputs});   // what the reflective call costs
        final Method predictAll = cls.getMethod("predictAll", float[][].class);
        report("predictAll", perCall(predictAll, model, new Object[] {inputs}) - base,
               outputBytes((float[][]) predictAll.invoke(model, (Object) inputs)));
        if (shapes.length == 1 && hasMethod(cls, "predict", float[].class)) {
            final Method predict = cls.getMethod("predict", float[].class);
            final float[] out = (float[]) predict.invoke(model, (Object) inputs[0]);
            report("predict", perCall(predict, model, new Object[] {inputs[0]}) - base, arrayBytes(out.length, 4));
        }
        if (hasMethod(cls, "newSession")) {
            final Object session = cls.getMethod("newSession").invoke(model);
            final Method stepAll = session.getClass().getMethod("stepAll", float[].class);
            final float[] frame = new float[inputs[0].length / (shapes[0][0] < 0 ? steps : shapes[0][0])];
            final float[][] out = (float[][]) stepAll.invoke(session, (Object) frame);
            report("stepAll", perCall(stepAll, session, new Object[] {frame}) - base, outputBytes(out));
        }
        final float[][][] samples = new float[BATCH][][];
        java.util.Arrays.fill(samples, inputs);
        final Method all = cls.getMethod("predictAllBatch", float[][][].class, int.class);
        final float[][][] outs = (float[][][]) all.invoke(null, samples, 1);
        long bytes = arrayBytes(BATCH, 4);
        for (float[][] o : outs) {
            bytes += outputBytes(o);
        }
        System.out.println("predictAllBatch " + (perCall(all, null, new Object[] {samples, 1}) - base) + " " + bytes
                + " " + bookkeeping());
        if (hasMethod(cls, "predictBatch", float[][].class)) {
            final Method batch = cls.getMethod("predictBatch", float[][].class);
            final float[][] xs = new float[BATCH][];
            java.util.Arrays.fill(xs, inputs[0]);
            final float[][] ys = (float[][]) batch.invoke(model, (Object) xs);
            System.out.println("predictBatch " + (perCall(batch, model, new Object[] {xs}) - base) + " "
                    + outputBytes(ys) + " " + bookkeeping());
        }
    }

    /**
     * Bytes a batch call may allocate besides its outputs: per sample, its place in the order
     * (an {@code int} and a boxed index) and a {@code float[][]} wrapper with its result array (the
     * one-input {@code predictBatch}); per call, a few small objects (the order's comparator, the
     * thread's chunk).  Nothing that grows with the model's activations.
     */
    private static long bookkeeping() {
        return 6 * arrayBytes(BATCH, 4) + 2 * BATCH * arrayBytes(1, 4) + 256;
    }

    private static Object echo(Object x) {
        return x;
    }

    private static boolean hasMethod(Class<?> cls, String name, Class<?>... types) {
        try {
            cls.getMethod(name, types);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static void report(String path, long perCall, long outputs) {
        System.out.println(path + " " + perCall + " " + outputs);
    }

    /**
     * Bytes allocated per call in steady state: the least of several rounds after a warm-up
     * round (class loading, JIT, buffers grown). An allocation made on every call shows in
     * every round; a one-off one (a JIT deoptimization, reflection's accessor) in one only.
     */
    private static long perCall(Method m, Object target, Object[] args) throws Exception {
        final long overhead = -allocated() + allocated();
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 6; round++) {
            long before = allocated();
            for (int i = 0; i < CALLS; i++) {
                m.invoke(target, args);
            }
            long bytes = (allocated() - before - overhead) / CALLS;
            if (round > 0) {
                best = Math.min(best, bytes);
            }
        }
        return best;
    }

    /** A float[][] of outputs: the outer array and each float[] (16-byte headers, 8-byte alignment). */
    private static long outputBytes(float[][] outs) {
        long bytes = arrayBytes(outs.length, 4);
        for (float[] o : outs) {
            bytes += arrayBytes(o.length, 4);
        }
        return bytes;
    }

    private static long arrayBytes(int length, int element) {
        return (16 + (long) length * element + 7) / 8 * 8;
    }

    /** Bytes this thread has allocated so far, or -1 where the JVM cannot tell. */
    private static long allocated() {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!(threads instanceof com.sun.management.ThreadMXBean)) {
            return -1;
        }
        return ((com.sun.management.ThreadMXBean) threads).getThreadAllocatedBytes(Thread.currentThread().getId());
    }
}
