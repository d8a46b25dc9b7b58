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
 */
public final class Weights {
    private Weights() {
    }

    /** Decodes Base64 chunks (each encoding a multiple of 4 bytes) into floats. */
    public static float[] fromBase64(String[] chunks, int count, String sha256, String what) {
        byte[] bytes = new byte[checkedBytes(count, what)];
        int pos = 0;
        java.util.Base64.Decoder dec = java.util.Base64.getDecoder();
        for (String chunk : chunks) {
            byte[] part = dec.decode(chunk);
            if (pos + part.length > bytes.length) {
                throw new IllegalStateException(what + ": embedded weights are longer than the expected "
                        + bytes.length + " bytes");
            }
            System.arraycopy(part, 0, bytes, pos, part.length);
            pos += part.length;
        }
        if (pos != bytes.length) {
            throw new IllegalStateException(what + ": embedded weights hold " + pos + " bytes, expected " + bytes.length);
        }
        verify(bytes, sha256, what);
        return toFloats(bytes, count);
    }

    /** Reads a resource stored beside {@code owner}'s class file. */
    public static float[] fromResource(Class<?> owner, String resource, int count, String sha256) {
        String what = "weights resource '" + resource + "' of " + owner.getName();
        byte[] bytes = new byte[checkedBytes(count, what)];
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
        return toFloats(bytes, count);
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
