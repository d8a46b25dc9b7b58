package bench;

import java.lang.management.ManagementFactory;

/**
 * Cold start and heap: {@code java -cp benchmarks.jar bench.ColdStart MODEL}
 * prints "coldstart_ms weights_heap_bytes heap_per_instance_bytes".
 */
public final class ColdStart {
    public static void main(String[] a) throws Exception {
        long start = ManagementFactory.getRuntimeMXBean().getStartTime();
        int[] s = Models.shape(a[0]);
        Models.Predictor first = Models.create(a[0]);
        first.predict(Models.random(s[0] * s[1], 1));
        long cold = System.currentTimeMillis() - start;
        long base = used();
        int k = 20;
        Models.Predictor[] keep = new Models.Predictor[k];
        for (int i = 0; i < k; i++) {
            keep[i] = Models.create(a[0]);
            keep[i].predict(Models.random(s[0] * s[1], i));
        }
        long per = (used() - base) / k;
        System.out.println(cold + " " + base + " " + per + " " + keep.length);
    }

    private static long used() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
