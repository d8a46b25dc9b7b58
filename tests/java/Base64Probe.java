import java.util.Arrays;
import java.util.Base64;
import java.util.Random;

/**
 * The runtime's own Base64 decoder (Weights.decodeBase64, used instead of java.util.Base64,
 * which Android has only from API 26) against the JDK's encoder: every length 0..700 at
 * several offsets, random and extreme bytes, chunk sequences, and the inputs it must refuse.
 * Usage: java -cp RUNTIME_CLASSES:. Base64Probe PACKAGE.Weights
 */
public final class Base64Probe {
    private static int failed;
    private static int passed;

    public static void main(String[] args) throws Exception {
        java.lang.reflect.Method decode = Class.forName(args[0])
                .getMethod("decodeBase64", String.class, byte[].class, int.class, String.class);
        Random rnd = new Random(17);
        for (int len = 0; len <= 700; len++) {
            for (int kind = 0; kind < 3; kind++) {
                byte[] data = new byte[len];
                if (kind == 0) {
                    rnd.nextBytes(data);
                } else {
                    Arrays.fill(data, kind == 1 ? (byte) 0xff : (byte) 0);
                }
                String text = Base64.getEncoder().encodeToString(data);
                int off = len % 5;
                byte[] out = new byte[off + len];
                int end = (Integer) decode.invoke(null, text, out, off, "T");
                check(end == off + len && Arrays.equals(Arrays.copyOfRange(out, off, off + len), data),
                        "length " + len + " kind " + kind);
            }
        }
        // a stream split into chunks of 3k bytes, as the generator writes it
        byte[] big = new byte[3 * 16383 * 2 + 1001];
        rnd.nextBytes(big);
        byte[] out = new byte[big.length];
        int pos = 0;
        for (int start = 0; start < big.length; start += 3 * 16383) {
            byte[] part = Arrays.copyOfRange(big, start, Math.min(big.length, start + 3 * 16383));
            pos = (Integer) decode.invoke(null, Base64.getEncoder().encodeToString(part), out, pos, "T");
        }
        check(pos == big.length && Arrays.equals(out, big), "chunked stream");
        String[] bad = {"QUJD=", "QU=D", "QUJ-", "QUJ\u00e9", "Q===", "QUJD\n", "====", "QUJ*"};
        for (String b : bad) {
            refused(decode, b, new byte[16], "invalid '" + b.replace("\n", "\\n") + "'");
        }
        refused(decode, "QUJDRA==", new byte[3], "longer than the buffer");
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void refused(java.lang.reflect.Method decode, String text, byte[] out, String what) {
        try {
            decode.invoke(null, text, out, 0, "T");
            check(false, what + " accepted");
        } catch (java.lang.reflect.InvocationTargetException e) {
            check(e.getCause() instanceof IllegalStateException, what + ": " + e.getCause());
        } catch (IllegalAccessException e) {
            check(false, e.toString());
        }
    }

    private static void check(boolean ok, String what) {
        if (ok) {
            passed++;
        } else {
            failed++;
            System.out.println("FAILED: " + what);
        }
    }
}
