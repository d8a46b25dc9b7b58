package keras2java.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Loads a model's weights: little-endian float32, either embedded in the
 * generated sources as Base64 chunks or read from a classpath resource.
 * Both paths check the size and the SHA-256 recorded at generation time.
 *
 * <p>Weights stored compressed ({@code --weights-storage float16|bfloat16|int8}) come as a
 * packed stream that {@link #unpack} expands to float32: per tensor, three little-endian
 * int32 (segment kind, value count, column count) and the payload: kind 0 float32 (4 bytes a
 * value), 1 IEEE float16 and 2 bfloat16 (2 bytes a value), 3 int8 (one float32 scale per column,
 * then one signed byte a value, row-major; value = byte x scale[index % columns]).
 */
public final class Weights {
    private Weights() {
    }

    /**
     * Decodes Base64 chunks (each encoding a multiple of 4 bytes) into floats. The decoder is
     * the runtime's own ({@link #decodeBase64}): java.util.Base64 is Java 8 but Android API 26.
     */
    public static float[] fromBase64(String[] chunks, int count, String sha256, String what) {
        byte[] bytes = decodeChunks(chunks, checkedBytes(count, what), sha256, what);
        return toFloats(bytes, count);
    }

    /** Decodes Base64 chunks of a packed stream of {@code size} bytes and expands its {@code count} values. */
    public static float[] fromPackedBase64(String[] chunks, int size, int count, String sha256, String what) {
        if (size < 0) {
            throw new IllegalStateException(what + ": invalid packed size " + size);
        }
        return unpack(decodeChunks(chunks, size, sha256, what), count, what);
    }

    private static byte[] decodeChunks(String[] chunks, int size, String sha256, String what) {
        byte[] bytes = new byte[size];
        int pos = 0;
        for (String chunk : chunks) {
            pos = decodeBase64(chunk, bytes, pos, what);
        }
        if (pos != bytes.length) {
            throw new IllegalStateException(what + ": embedded weights hold " + pos + " bytes, expected " + bytes.length);
        }
        verify(bytes, sha256, what);
        return bytes;
    }

    private static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private static final byte[] SEXTET = new byte[128];

    static {
        java.util.Arrays.fill(SEXTET, (byte) -1);
        for (int i = 0; i < 64; i++) {
            SEXTET[BASE64.charAt(i)] = (byte) i;
        }
    }

    /**
     * Decodes one Base64 string (RFC 4648 standard alphabet, padded, no line breaks) into
     * {@code out} from {@code pos}; returns the position after the last byte written.
     * Anything else (a length not a multiple of 4, a character outside the alphabet, padding
     * inside the string, more bytes than {@code out} holds) is an IllegalStateException.
     */
    public static int decodeBase64(String s, byte[] out, int pos, String what) {
        int n = s.length();
        if (n % 4 != 0) {
            throw new IllegalStateException(what + ": invalid Base64 chunk of length " + n);
        }
        int pad = n == 0 || s.charAt(n - 1) != '=' ? 0 : s.charAt(n - 2) == '=' ? 2 : 1;
        int len = n / 4 * 3 - pad;
        if (len > out.length - pos) {
            throw new IllegalStateException(what + ": embedded weights are longer than the expected "
                    + out.length + " bytes");
        }
        int full = pad == 0 ? n : n - 4;
        for (int i = 0; i < full; i += 4) {
            int v = sextet(s, i, what) << 18 | sextet(s, i + 1, what) << 12 | sextet(s, i + 2, what) << 6
                    | sextet(s, i + 3, what);
            out[pos] = (byte) (v >> 16);
            out[pos + 1] = (byte) (v >> 8);
            out[pos + 2] = (byte) v;
            pos += 3;
        }
        if (pad > 0) {
            int v = sextet(s, full, what) << 18 | sextet(s, full + 1, what) << 12
                    | (pad == 1 ? sextet(s, full + 2, what) << 6 : 0);
            out[pos++] = (byte) (v >> 16);
            if (pad == 1) {
                out[pos++] = (byte) (v >> 8);
            }
        }
        return pos;
    }

    private static int sextet(String s, int i, String what) {
        char c = s.charAt(i);
        int v = c < 128 ? SEXTET[c] : -1;
        if (v < 0) {
            throw new IllegalStateException(what + ": invalid Base64 character at " + i + " of an embedded chunk");
        }
        return v;
    }

    /** Reads a resource stored beside {@code owner}'s class file. */
    public static float[] fromResource(Class<?> owner, String resource, int count, String sha256) {
        String what = "weights resource '" + resource + "' of " + owner.getName();
        return toFloats(readResource(owner, resource, checkedBytes(count, what), sha256, what), count);
    }

    /** Reads a packed resource of {@code size} bytes beside {@code owner}'s class file and expands it. */
    public static float[] fromPackedResource(Class<?> owner, String resource, int size, int count, String sha256) {
        String what = "weights resource '" + resource + "' of " + owner.getName();
        if (size < 0) {
            throw new IllegalStateException(what + ": invalid packed size " + size);
        }
        return unpack(readResource(owner, resource, size, sha256, what), count, what);
    }

    private static byte[] readResource(Class<?> owner, String resource, int size, String sha256, String what) {
        byte[] bytes = new byte[size];
        InputStream in = owner.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException(what + " is missing: it must be on the classpath next to the class"
                    + " (expected " + bytes.length + " bytes)");
        }
        try {
            int pos = 0;
            while (pos < bytes.length) {
                int n = in.read(bytes, pos, bytes.length - pos);
                if (n < 0) {
                    throw new IllegalStateException(what + " is truncated: " + pos + " bytes, expected " + bytes.length);
                }
                pos += n;
            }
            if (in.read() >= 0) {
                throw new IllegalStateException(what + " is longer than the expected " + bytes.length + " bytes");
            }
        } catch (IOException e) {
            throw new IllegalStateException(what + " cannot be read: " + e, e);
        } finally {
            try {
                in.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
        verify(bytes, sha256, what);
        return bytes;
    }

    /**
     * Expands a packed stream (see the class comment) into its {@code count} float32 values.
     * A stream that does not hold exactly {@code count} values in well-formed segments is an
     * IllegalStateException.
     */
    public static float[] unpack(byte[] bytes, int count, String what) {
        if (count < 0) {
            throw new IllegalStateException(what + ": invalid weight count " + count);
        }
        float[] out = new float[count];
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (in.remaining() > 0) {
            if (in.remaining() < 12) {
                throw new IllegalStateException(what + ": truncated segment header at byte " + in.position());
            }
            int kind = in.getInt();
            int n = in.getInt();
            int cols = in.getInt();
            if (n < 0 || n > count - done || cols <= 0 || (kind == 3 && n % cols != 0)) {
                throw new IllegalStateException(what + ": invalid segment (kind " + kind + ", " + n + " values, "
                        + cols + " columns) at value " + done + " of " + count);
            }
            long need = kind == 0 ? 4L * n : kind == 1 || kind == 2 ? 2L * n : kind == 3 ? 4L * cols + n : -1;
            if (need < 0) {
                throw new IllegalStateException(what + ": unknown segment kind " + kind);
            }
            if (need > in.remaining()) {
                throw new IllegalStateException(what + ": truncated segment at value " + done);
            }
            if (kind == 0) {
                for (int i = 0; i < n; i++) {
                    out[done + i] = in.getFloat();
                }
            } else if (kind == 1) {
                for (int i = 0; i < n; i++) {
                    out[done + i] = halfToFloat(in.getShort() & 0xFFFF);
                }
            } else if (kind == 2) {
                for (int i = 0; i < n; i++) {
                    out[done + i] = Float.intBitsToFloat((in.getShort() & 0xFFFF) << 16);
                }
            } else {
                float[] scale = new float[cols];
                for (int c = 0; c < cols; c++) {
                    scale[c] = in.getFloat();
                }
                for (int i = 0; i < n; i++) {
                    out[done + i] = in.get() * scale[i % cols];
                }
            }
            done += n;
        }
        if (done != count) {
            throw new IllegalStateException(what + ": packed weights hold " + done + " values, expected " + count);
        }
        return out;
    }

    /**
     * An IEEE 754 binary16 value (in the low 16 bits of {@code h}) as a float: exact, every half
     * being a float. Written out because Float.float16ToFloat is Java 20 (and not on Android).
     */
    static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * A zero-offset copy of the {@code n} weights at {@code data[off..]}, or
     * null for {@code off < 0} (an absent weight).
     */
    static float[] copy(float[] data, int off, int n, String what) {
        if (off < 0) {
            return null;
        }
        Check.slice(data, off, n, what);
        return java.util.Arrays.copyOfRange(data, off, off + n);
    }

    private static int checkedBytes(int count, String what) {
        if (count < 0 || count > Integer.MAX_VALUE / 4) {
            throw new IllegalStateException(what + ": invalid weight count " + count);
        }
        return count * 4;
    }

    private static float[] toFloats(byte[] bytes, int count) {
        float[] out = new float[count];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private static void verify(byte[] bytes, String expected, String what) {
        String actual = sha256(bytes);
        if (!actual.equals(expected)) {
            throw new IllegalStateException(what + " is corrupted: SHA-256 " + actual + ", expected " + expected);
        }
    }

    static String sha256(byte[] bytes) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        byte[] d = md.digest(bytes);
        StringBuilder sb = new StringBuilder(64);
        for (byte b : d) {
            sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
        }
        return sb.toString();
    }
}
