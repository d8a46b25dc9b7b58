package keras2java.runtime;

/**
 * TensorFlow's string hash functions on UTF-8 bytes: FarmHash Fingerprint64
 * ({@code tf.strings.to_hash_bucket_fast}) and keyed SipHash-2-4
 * ({@code tf.strings.to_hash_bucket_strong}).  Buckets are the unsigned
 * 64-bit hash modulo the number of buckets, as TensorFlow computes them.
 * Stateless and thread-safe.
 */
public final class StringHash {
    private static final long K0 = 0xc3a5c85c97cb3127L;
    private static final long K1 = 0xb492b66fbe98f273L;
    private static final long K2 = 0x9ae16a3b2f90404fL;

    private StringHash() {
    }

    /**
     * {@code dividend mod divisor} with both read as unsigned 64-bit numbers (as
     * {@code Long.remainderUnsigned}, which Android has only from API 26).
     */
    static long remainderUnsigned(long dividend, long divisor) {
        if (divisor < 0) {   // divisor >= 2^63: at most one subtraction
            return unsignedLess(dividend, divisor) ? dividend : dividend - divisor;
        }
        if (dividend >= 0) {
            return dividend % divisor;
        }
        final long quotient = ((dividend >>> 1) / divisor) << 1;
        final long rem = dividend - quotient * divisor;
        return unsignedLess(rem, divisor) ? rem : rem - divisor;
    }

    private static boolean unsignedLess(long a, long b) {
        return (a ^ Long.MIN_VALUE) < (b ^ Long.MIN_VALUE);
    }

    /** {@code tf.strings.to_hash_bucket_fast}: Fingerprint64(s) mod buckets. */
    public static long bucketFast(byte[] s, int off, int len, long buckets) {
        return remainderUnsigned(fingerprint64(s, off, len), buckets);
    }

    /** {@code tf.strings.to_hash_bucket_strong}: SipHash-2-4 keyed by (key0, key1) mod buckets. */
    public static long bucketStrong(byte[] s, int off, int len, long key0, long key1, long buckets) {
        return remainderUnsigned(sipHash(key0, key1, s, off, len), buckets);
    }

    /**
     * Keras' {@code Hashing} on numbers: each value is cast to int64 (truncated, as
     * {@code tf.cast}), written in decimal ({@code tf.as_string}) and hashed into
     * {@code bins} buckets; with a mask value, buckets are shifted by one and the
     * mask value maps to 0.
     */
    public static void hashNumbers(float[] x, int xOff, int n, float[] y, int yOff, long bins, boolean strong,
                                   long key0, long key1, boolean hasMask, float maskValue) {
        final byte[] digits = new byte[20];
        for (int i = 0; i < n; i++) {
            final float v = x[xOff + i];
            if (hasMask && v == maskValue) {
                y[yOff + i] = 0f;
                continue;
            }
            long q = (long) v;
            int k = digits.length;
            final boolean neg = q < 0;
            do {
                long d = q % 10;
                digits[--k] = (byte) ('0' + (neg ? -d : d));
                q /= 10;
            } while (q != 0);
            if (neg) {
                digits[--k] = '-';
            }
            long h = strong ? bucketStrong(digits, k, digits.length - k, key0, key1, bins)
                            : bucketFast(digits, k, digits.length - k, bins);
            y[yOff + i] = (float) (h + (hasMask ? 1 : 0));
        }
    }

    private static long fetch64(byte[] s, int i) {
        return (s[i] & 0xffL) | (s[i + 1] & 0xffL) << 8 | (s[i + 2] & 0xffL) << 16 | (s[i + 3] & 0xffL) << 24
                | (s[i + 4] & 0xffL) << 32 | (s[i + 5] & 0xffL) << 40 | (s[i + 6] & 0xffL) << 48
                | (s[i + 7] & 0xffL) << 56;
    }

    private static long fetch32(byte[] s, int i) {
        return (s[i] & 0xffL) | (s[i + 1] & 0xffL) << 8 | (s[i + 2] & 0xffL) << 16 | (s[i + 3] & 0xffL) << 24;
    }

    private static long rot(long v, int shift) {
        return shift == 0 ? v : (v >>> shift) | (v << (64 - shift));
    }

    private static long shiftMix(long v) {
        return v ^ (v >>> 47);
    }

    private static long hashLen16(long u, long v, long mul) {
        long a = (u ^ v) * mul;
        a ^= a >>> 47;
        long b = (v ^ a) * mul;
        b ^= b >>> 47;
        return b * mul;
    }

    private static long len0to16(byte[] s, int o, int len) {
        if (len >= 8) {
            long mul = K2 + len * 2L;
            long a = fetch64(s, o) + K2;
            long b = fetch64(s, o + len - 8);
            long c = rot(b, 37) * mul + a;
            long d = (rot(a, 25) + b) * mul;
            return hashLen16(c, d, mul);
        }
        if (len >= 4) {
            long mul = K2 + len * 2L;
            long a = fetch32(s, o);
            return hashLen16(len + (a << 3), fetch32(s, o + len - 4), mul);
        }
        if (len > 0) {
            int a = s[o] & 0xff;
            int b = s[o + (len >> 1)] & 0xff;
            int c = s[o + len - 1] & 0xff;
            long y = (a + (b << 8)) & 0xffffffffL;
            long z = (len + (c << 2)) & 0xffffffffL;
            return shiftMix(y * K2 ^ z * K0) * K2;
        }
        return K2;
    }

    private static long len17to32(byte[] s, int o, int len) {
        long mul = K2 + len * 2L;
        long a = fetch64(s, o) * K1;
        long b = fetch64(s, o + 8);
        long c = fetch64(s, o + len - 8) * mul;
        long d = fetch64(s, o + len - 16) * K2;
        return hashLen16(rot(a + b, 43) + rot(c, 30) + d, a + rot(b + K2, 18) + c, mul);
    }

    private static long len33to64(byte[] s, int o, int len) {
        long mul = K2 + len * 2L;
        long a = fetch64(s, o) * K2;
        long b = fetch64(s, o + 8);
        long c = fetch64(s, o + len - 8) * mul;
        long d = fetch64(s, o + len - 16) * K2;
        long y = rot(a + b, 43) + rot(c, 30) + d;
        long z = hashLen16(y, a + rot(b + K2, 18) + c, mul);
        long e = fetch64(s, o + 16) * mul;
        long f = fetch64(s, o + 24);
        long g = (y + fetch64(s, o + len - 32)) * mul;
        long h = (z + fetch64(s, o + len - 24)) * mul;
        return hashLen16(rot(e + f, 43) + rot(g, 30) + h, e + rot(f + a, 18) + g, mul);
    }

    /** FarmHash Fingerprint64 (farmhashna::Hash64) of {@code s[off, off+len)}. */
    public static long fingerprint64(byte[] s, int off, int len) {
        if (len <= 16) {
            return len0to16(s, off, len);
        }
        if (len <= 32) {
            return len17to32(s, off, len);
        }
        if (len <= 64) {
            return len33to64(s, off, len);
        }
        final long seed = 81;
        long x = seed;
        long y = seed * K1 + 113;
        long z = shiftMix(y * K2 + 113) * K2;
        long v0 = 0, v1 = 0, w0 = 0, w1 = 0;
        x = x * K2 + fetch64(s, off);
        int p = off;
        final int end = off + ((len - 1) / 64) * 64;
        long mul = K1, times = 1;   // the chunks before the last
        boolean last = false;
        while (true) {
            if (p == end) {   // then the last 64 bytes, mixed with their own multipliers
                last = true;
                mul = K1 + ((z & 0xff) << 1);
                times = 9;
                p = end + ((len - 1) & 63) - 63;
                w0 += ((len - 1) & 63);
                v0 += w0;
                w0 += v0;
            }
            x = rot(x + y + v0 + fetch64(s, p + 8), 37) * mul;
            y = rot(y + v1 + fetch64(s, p + 48), 42) * mul;
            x ^= w1 * times;
            y += v0 * times + fetch64(s, p + 40);
            z = rot(z + w0, 33) * mul;
            // v = WeakHashLen32WithSeeds(s, v1 * mul, x + w0), w = ...(s + 32, z + w1, y + fetch64(s + 16))
            final long a = v1 * mul, b = x + w0, a2 = z + w1, b2 = y + fetch64(s, p + 16);
            v0 = weakLow(s, p, a);
            v1 = weakHigh(s, p, a, b);
            w0 = weakLow(s, p + 32, a2);
            w1 = weakHigh(s, p + 32, a2, b2);
            final long t = z;
            z = x;
            x = t;
            if (last) {
                return hashLen16(hashLen16(v0, w0, mul) + shiftMix(y) * K0 + z, hashLen16(v1, w1, mul) + x, mul);
            }
            p += 64;
        }
    }

    /**
     * FarmHash's WeakHashLen32WithSeeds(w, x, y, z, a, b) of the 32 bytes at {@code p} is the
     * pair (weakLow, weakHigh): {@code a += w; b = rot(b + a + z, 21); c = a; a += x + y;
     * b += rot(a, 44); return (a + z, b + c)}.
     */
    private static long weakLow(byte[] s, int p, long a) {
        return a + fetch64(s, p) + fetch64(s, p + 8) + fetch64(s, p + 16) + fetch64(s, p + 24);
    }

    private static long weakHigh(byte[] s, int p, long a, long b) {
        final long c = a + fetch64(s, p);
        return rot(b + c + fetch64(s, p + 24), 21) + rot(c + fetch64(s, p + 8) + fetch64(s, p + 16), 44) + c;
    }

    /** SipHash-2-4 with the 128-bit key (k0, k1) of {@code s[off, off+len)}. */
    public static long sipHash(long k0, long k1, byte[] s, int off, int len) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        final int blocks = len & ~7;
        long b = ((long) len & 0xff) << 56;
        for (int i = 0; i < (len & 7); i++) {
            b |= (s[off + blocks + i] & 0xffL) << (8 * i);
        }
        // the 8-byte words, then the last word b (length and tail bytes), 2 rounds each;
        // then the finalization, 4 rounds
        for (int i = 0; i <= blocks + 8; i += 8) {
            final boolean word = i <= blocks;
            final long m = i < blocks ? fetch64(s, off + i) : b;
            if (word) {
                v3 ^= m;
            } else {
                v2 ^= 0xff;
            }
            for (int r = 0; r < (word ? 2 : 4); r++) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            if (word) {
                v0 ^= m;
            }
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
