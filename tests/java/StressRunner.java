import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Stress driver for generated models, through their public API only
 * ({@code predictAll}, {@code predictAllBatch}, {@code newSession} / {@code Session.stepAll}).
 *
 * <p>Jobs files hold one line per model: {@code className inputs.bin mode}, mode {@code all}
 * (predictAll per sample) or {@code stream:<floats per step>} (a Session per sample, fed one
 * frame at a time).  inputs.bin is the layout of {@code K2jRunner}.
 *
 * <ul>
 * <li>{@code threads jobs.txt nThreads rounds}: every job on one thread first, then
 * {@code nThreads} threads run all jobs {@code rounds} times, in an order of their own, each
 * with its own instances, streaming sessions interleaved; prints
 * {@code OK threads ...} when every result is bit-identical to the one-thread result.</li>
 * <li>{@code batch className inputs.bin perSample.bin batchPrefix t1,t2,...}: writes the
 * per-sample {@code predictAll} outputs and those of {@code predictAllBatch(samples, t)}
 * (to {@code batchPrefix<t>.bin}), in K2jRunner's output layout.</li>
 * <li>{@code heap jobs.txt calls checkpoints}: {@code calls} calls cycling through the jobs
 * (one predictAll, or one session step, per call; a new session every 64 steps; a small
 * predictAllBatch on 2 threads every 1000 calls), printing at each checkpoint
 * {@code CHECK <calls> <used heap after GC> <Thread.activeCount> <ThreadMXBean count>}, then
 * per job {@code ALLOC <class> <predictAll or stepAll> <bytes allocated per call> <bytes of its outputs>}.</li>
 * </ul>
 */
public final class StressRunner {
    private StressRunner() {
    }

    /** One model and its samples. */
    private static final class Job {
        final Class<?> cls;
        final float[][][] samples;
        final int perStep;   // 0: predictAll per sample

        Job(Class<?> cls, float[][][] samples, int perStep) {
            this.cls = cls;
            this.samples = samples;
            this.perStep = perStep;
        }

        Object newModel() throws Exception {
            return cls.getConstructor().newInstance();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("threads")) {
            threads(readJobs(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        } else if (args[0].equals("batch")) {
            batch(args[1], args[2], args[3], args[4], args[5]);
        } else if (args[0].equals("heap")) {
            heap(readJobs(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        } else {
            throw new IllegalArgumentException("mode: threads, batch or heap");
        }
    }

    // -- API calls -----------------------------------------------------------------------

    private static Object call(Method m, Object target, Object arg) throws Exception {
        try {
            return m.invoke(target, arg);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            throw c instanceof Exception ? (Exception) c : new RuntimeException(c);
        }
    }

    private static float[][] predictAll(Object model, float[][] inputs) throws Exception {
        return (float[][]) call(model.getClass().getMethod("predictAll", float[][].class), model, inputs);
    }

    private static Object newSession(Object model) throws Exception {
        return model.getClass().getMethod("newSession").invoke(model);
    }

    private static float[][] step(Object session, float[] frame) throws Exception {
        return (float[][]) call(session.getClass().getMethod("stepAll", float[].class), session, frame);
    }

    private static float[][] frames(float[] seq, int perStep) {
        float[][] out = new float[seq.length / perStep][];
        for (int t = 0; t < out.length; t++) {
            out[t] = Arrays.copyOfRange(seq, t * perStep, (t + 1) * perStep);
        }
        return out;
    }

    /** Every sample of a job: predictAll per sample, or a Session per sample (all sessions
     * of the job open at once, stepped round-robin when {@code interleave}). */
    private static float[][][] runJob(Job job, Object model, boolean interleave) throws Exception {
        int n = job.samples.length;
        float[][][] out = new float[n][][];
        if (job.perStep == 0) {
            for (int s = 0; s < n; s++) {
                out[s] = predictAll(model, job.samples[s]);
            }
            return out;
        }
        Object[] sessions = new Object[n];
        float[][][] frames = new float[n][][];
        List<List<float[][]>> results = new ArrayList<List<float[][]>>();
        int longest = 0;
        for (int s = 0; s < n; s++) {
            sessions[s] = newSession(model);
            frames[s] = frames(job.samples[s][0], job.perStep);
            results.add(new ArrayList<float[][]>());
            longest = Math.max(longest, frames[s].length);
        }
        if (interleave) {
            for (int t = 0; t < longest; t++) {
                for (int s = 0; s < n; s++) {
                    if (t < frames[s].length) {
                        results.get(s).add(step(sessions[s], frames[s][t]));
                    }
                }
            }
        } else {
            for (int s = 0; s < n; s++) {
                for (float[] f : frames[s]) {
                    results.get(s).add(step(sessions[s], f));
                }
            }
        }
        for (int s = 0; s < n; s++) {
            out[s] = K2jRunner.concat(results.get(s));
        }
        return out;
    }

    private static boolean identical(float[][][] a, float[][][] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int s = 0; s < a.length; s++) {
            if (a[s].length != b[s].length) {
                return false;
            }
            for (int o = 0; o < a[s].length; o++) {
                if (a[s][o].length != b[s][o].length) {
                    return false;
                }
                for (int i = 0; i < a[s][o].length; i++) {
                    if (Float.floatToRawIntBits(a[s][o][i]) != Float.floatToRawIntBits(b[s][o][i])) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    // -- modes ---------------------------------------------------------------------------

    private static void threads(final List<Job> jobs, int nThreads, final int rounds) throws Exception {
        final float[][][][] reference = new float[jobs.size()][][][];
        for (int j = 0; j < jobs.size(); j++) {
            reference[j] = runJob(jobs.get(j), jobs.get(j).newModel(), false);
        }
        final AtomicReference<String> failure = new AtomicReference<String>();
        final int[] checked = new int[nThreads];
        Thread[] workers = new Thread[nThreads];
        for (int t = 0; t < nThreads; t++) {
            final int id = t;
            workers[t] = new Thread(new Runnable() {
                @Override
                public void run() {
                    try {
                        Random rnd = new Random(1000 + id);
                        Object[] models = new Object[jobs.size()];
                        for (int j = 0; j < models.length; j++) {
                            models[j] = jobs.get(j).newModel();
                        }
                        for (int r = 0; r < rounds && failure.get() == null; r++) {
                            List<Integer> order = new ArrayList<Integer>();
                            for (int j = 0; j < jobs.size(); j++) {
                                order.add(j);
                            }
                            java.util.Collections.shuffle(order, rnd);
                            for (int j : order) {
                                float[][][] got = runJob(jobs.get(j), models[j], true);
                                if (!identical(got, reference[j])) {
                                    failure.compareAndSet(null, "thread " + id + " round " + r + ": "
                                            + jobs.get(j).cls.getName() + " differs from one thread");
                                    return;
                                }
                                checked[id] += got.length;
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, "thread " + id + ": " + e);
                    }
                }
            });
        }
        for (Thread w : workers) {
            w.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            System.out.println("FAIL threads: " + failure.get());
            return;
        }
        long total = 0;
        for (int c : checked) {
            total += c;
        }
        System.out.println("OK threads: " + nThreads + " threads x " + rounds + " rounds x " + jobs.size()
                + " models, " + total + " sample results bit-identical to one thread");
    }

    private static void batch(String className, String inPath, String perSamplePath, String batchPrefix,
                              String threadList) throws Exception {
        Class<?> cls = Class.forName(className);
        float[][][] samples = K2jRunner.readSamples(inPath);
        Object model = cls.getConstructor().newInstance();
        float[][][] single = new float[samples.length][][];
        for (int s = 0; s < samples.length; s++) {
            single[s] = predictAll(model, samples[s]);
        }
        K2jRunner.writeOutputs(perSamplePath, single);
        Method batch = cls.getMethod("predictAllBatch", float[][][].class, int.class);
        for (String t : threadList.split(",")) {
            float[][][] got = (float[][][]) batch.invoke(null, samples, Integer.parseInt(t));
            K2jRunner.writeOutputs(batchPrefix + t + ".bin", got);
        }
    }

    private static void heap(List<Job> jobs, int calls, int checkpoints) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Object[] models = new Object[jobs.size()];
        Object[] sessions = new Object[jobs.size()];
        float[][][] frames = new float[jobs.size()][][];
        int[] pos = new int[jobs.size()];
        int[] steps = new int[jobs.size()];
        Job batchJob = null;
        for (int j = 0; j < jobs.size(); j++) {
            Job job = jobs.get(j);
            models[j] = job.newModel();
            if (job.perStep > 0) {
                sessions[j] = newSession(models[j]);
                frames[j] = frames(job.samples[0][0], job.perStep);
            } else if (batchJob == null) {
                batchJob = job;
            }
        }
        Method batch = batchJob == null ? null : batchJob.cls.getMethod("predictAllBatch", float[][][].class, int.class);
        float[][][] small = batchJob == null ? null : Arrays.copyOf(batchJob.samples, Math.min(8, batchJob.samples.length));
        long sink = 0;
        if (batch != null) {
            // the shared pool starts a thread per submitted chunk until it has one per processor:
            // let it get there before the first checkpoint, whatever the machine
            for (int k = 0; k <= Runtime.getRuntime().availableProcessors(); k++) {
                sink += ((float[][][]) batch.invoke(null, small, 2)).length;
            }
        }
        int every = calls / checkpoints;
        for (int i = 0; i < calls; i++) {
            int j = i % jobs.size();
            Job job = jobs.get(j);
            float[][] out;
            if (job.perStep == 0) {
                out = predictAll(models[j], job.samples[pos[j]]);
                pos[j] = (pos[j] + 1) % job.samples.length;
            } else {
                if (steps[j] == 64) {   // a new session, on the next sample
                    pos[j] = (pos[j] + 1) % job.samples.length;
                    sessions[j] = newSession(models[j]);
                    frames[j] = frames(job.samples[pos[j]][0], job.perStep);
                    steps[j] = 0;
                }
                out = step(sessions[j], frames[j][steps[j] % frames[j].length]);
                steps[j]++;
            }
            sink += Float.floatToRawIntBits(out[0][0]);
            if (batch != null && i % 1000 == 999) {
                float[][][] got = (float[][][]) batch.invoke(null, small, 2);
                sink += got.length;
            }
            if ((i + 1) % every == 0) {
                System.out.println("CHECK " + (i + 1) + " " + usedAfterGc() + " " + Thread.activeCount() + " "
                        + threads.getThreadCount());
            }
        }
        com.sun.management.ThreadMXBean alloc = (com.sun.management.ThreadMXBean) threads;
        long me = Thread.currentThread().getId();
        for (int j = 0; j < jobs.size(); j++) {
            // predictAll, or a session's stepAll (on one frame, again and again)
            Job job = jobs.get(j);
            Object target = job.perStep > 0 ? newSession(models[j]) : models[j];
            Method m = job.perStep > 0 ? target.getClass().getMethod("stepAll", float[].class)
                    : target.getClass().getMethod("predictAll", float[][].class);
            Object[] arg = {job.perStep > 0 ? frames(job.samples[0][0], job.perStep)[0] : job.samples[0]};
            float[][] first = (float[][]) m.invoke(target, arg);
            long outBytes = arrayBytes(first.length, 4);   // the float[][] holding the outputs
            for (float[] o : first) {
                outBytes += arrayBytes(o.length, 4);
            }
            int n = 20000;
            for (int i = 0; i < n; i++) {   // warm up the JIT on this very loop
                sink += ((float[][]) m.invoke(target, arg)).length;
            }
            long before = alloc.getThreadAllocatedBytes(me);
            for (int i = 0; i < n; i++) {
                sink += ((float[][]) m.invoke(target, arg)).length;
            }
            long after = alloc.getThreadAllocatedBytes(me);
            System.out.println("ALLOC " + job.cls.getName() + " " + m.getName() + " " + ((after - before) / n) + " "
                    + outBytes);
        }
        System.out.println("SINK " + sink);
    }

    /** Bytes of a Java array on a 64-bit JVM with compressed pointers: 16-byte header, 8-byte alignment. */
    private static long arrayBytes(int length, int elementBytes) {
        return (16L + (long) length * elementBytes + 7) / 8 * 8;
    }

    private static long usedAfterGc() {
        long best = Long.MAX_VALUE;
        for (int k = 0; k < 3; k++) {
            System.gc();
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    // -- files ---------------------------------------------------------------------------

    private static List<Job> readJobs(String path) throws Exception {
        List<Job> jobs = new ArrayList<Job>();
        for (String line : Files.readAllLines(Paths.get(path))) {
            if (line.trim().isEmpty()) {
                continue;
            }
            String[] p = line.trim().split(" ");
            int perStep = p[2].startsWith("stream:") ? Integer.parseInt(p[2].substring(7)) : 0;
            jobs.add(new Job(Class.forName(p[0]), K2jRunner.readSamples(p[1]), perStep));
        }
        return jobs;
    }
}
