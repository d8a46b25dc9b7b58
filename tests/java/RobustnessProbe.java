import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Random;

/**
 * Java-side robustness checks of a generated model (single fixed-shape input):
 * {@code java RobustnessProbe <class> args|threads|load}.  Prints one line per
 * check: "OK name: detail" or "FAIL name: detail".
 */
public final class RobustnessProbe {
    public static void main(String[] a) throws Exception {
        Class<?> cls = Class.forName(a[0]);
        if (a[1].equals("load")) {
            try {
                cls.getConstructor().newInstance();
                System.out.println("FAIL load: no exception");
            } catch (InvocationTargetException e) {
                System.out.println("OK load: " + e.getCause().getClass().getName() + ": " + e.getCause().getMessage());
            }
            return;
        }
        Object model = cls.getConstructor().newInstance();
        int[] shape = (int[]) cls.getField("INPUT_SHAPE").get(null);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (a[1].equals("args")) {
            Method predict = cls.getMethod("predict", float[].class);
            Method predictAll = cls.getMethod("predictAll", float[][].class);
            expectIae("wrong length", predict, model, (Object) new float[n - 1]);
            expectIae("null input", predict, model, (Object) null);
            expectIae("empty input", predict, model, (Object) new float[0]);
            expectIae("null inputs array", predictAll, model, (Object) null);
            expectIae("two inputs for one", predictAll, model, (Object) new float[][] {new float[n], new float[n]});
            return;
        }
        if (a[1].equals("batch")) {
            float[][][] samples = new float[64][1][n];
            Random rb = new Random(7);
            for (float[][] smp : samples) {
                for (int i = 0; i < n; i++) {
                    smp[0][i] = rb.nextFloat() * 2 - 1;
                }
            }
            Method batch = cls.getMethod("predictAllBatch", float[][][].class, int.class);
            Method predictAll = cls.getMethod("predictAll", float[][].class);
            boolean same = true;
            for (int threads : new int[] {0, 1, 2, 5}) {
                float[][][] got = (float[][][]) batch.invoke(null, samples, threads);
                for (int s = 0; s < samples.length; s++) {
                    float[] want = ((float[][]) predictAll.invoke(model, (Object) samples[s]))[0];
                    same &= java.util.Arrays.equals(got[s][0], want);
                }
            }
            System.out.println((same ? "OK" : "FAIL") + " batch: predictAllBatch equals predictAll for 0, 1, 2, 5 threads");
            return;
        }
        // threads: 8 threads, one instance each, identical bits to one thread
        final int samples = 200;
        final float[][] xs = new float[samples][n];
        Random r = new Random(42);
        for (float[] x : xs) {
            for (int i = 0; i < n; i++) {
                x[i] = r.nextFloat() * 2 - 1;
            }
        }
        final Method predict = cls.getMethod("predict", float[].class);
        final float[][] single = new float[samples][];
        for (int s = 0; s < samples; s++) {
            single[s] = (float[]) predict.invoke(model, (Object) xs[s]);
        }
        final boolean[] ok = new boolean[8];
        Thread[] threads = new Thread[8];
        for (int t = 0; t < 8; t++) {
            final int id = t;
            threads[t] = new Thread(() -> {
                try {
                    Object mine = cls.getConstructor().newInstance();
                    boolean same = true;
                    for (int rep = 0; rep < 5; rep++) {
                        for (int k = 0; k < samples; k++) {
                            int s = (k * 7 + id * 13 + rep) % samples;
                            float[] y = (float[]) predict.invoke(mine, (Object) xs[s]);
                            for (int j = 0; j < y.length; j++) {
                                same &= Float.floatToRawIntBits(y[j]) == Float.floatToRawIntBits(single[s][j]);
                            }
                        }
                    }
                    ok[id] = same;
                } catch (Exception e) {
                    ok[id] = false;
                }
            });
            threads[t].start();
        }
        boolean all = true;
        for (int t = 0; t < 8; t++) {
            threads[t].join();
            all &= ok[t];
        }
        System.out.println((all ? "OK" : "FAIL") + " threads: 8 threads x 1000 predictions identical to one thread");
    }

    private static void expectIae(String name, Method m, Object model, Object arg) throws Exception {
        try {
            m.invoke(model, arg);
            System.out.println("FAIL " + name + ": no exception");
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            boolean good = c instanceof IllegalArgumentException;
            System.out.println((good ? "OK " : "FAIL ") + name + ": " + c.getClass().getSimpleName() + ": " + c.getMessage());
        }
    }
}
