package keras2java.runtime;

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
}
