package keras2java.runtime;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;

/**
 * The little harness of the runtime's self-tests (no test framework): each test is a
 * named body; {@link #finish} prints "N passed, N failed" and exits non-zero on failure.
 */
final class SelfTests {
    private SelfTests() {
    }

    interface Body {
        void run() throws Exception;
    }

    private static int passed;
    private static int failed;

    static void test(String name, Body body) {
        try {
            body.run();
            passed++;
        } catch (Throwable t) {
            failed++;
            System.out.println("FAILED " + name + ": " + t);
        }
    }

    static void finish() {
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    static void check(boolean ok, String msg) {
        if (!ok) {
            throw new AssertionError(msg);
        }
    }

    /** Checks that {@code calls} (1,000 kernel calls or fewer) allocate nothing once warmed up. */
    static void allocatesNothing(Body calls) throws Exception {
        long before = 0;
        for (int round = 0; round < 2; round++) {   // round 0 warms up (class loading, JIT), round 1 measures
            before = allocated();
            calls.run();
        }
        long after = allocated();
        long overhead = -allocated() + allocated();   // what measuring itself allocates (boxing, reflection)
        if (before < 0) {
            System.out.println("(allocation not measurable on this JVM; skipped)");
            return;
        }
        // 1,000 calls: a single allocation per call would show as 16,000 bytes or more
        check(after - before - overhead < 512, "allocated " + (after - before - overhead) + " bytes in 1000 calls");
    }

    /** Bytes this thread has allocated so far, or -1 where the JVM cannot tell. */
    private static long allocated() {
        try {
            Object bean = ManagementFactory.getThreadMXBean();
            Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes", long.class);
            return (Long) m.invoke(bean, Thread.currentThread().getId());
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }
}
