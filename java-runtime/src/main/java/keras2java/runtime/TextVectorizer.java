package keras2java.runtime;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keras' {@code TextVectorization}, {@code StringLookup} and {@code Hashing}
 * on Java strings, bit-exact with TensorFlow.
 *
 * <p>TensorFlow works on UTF-8 bytes, so this class does too: the text is
 * encoded as {@link String#getBytes(java.nio.charset.Charset) UTF-8} does
 * (an unpaired surrogate becomes {@code '?'}), then
 * <ul>
 * <li>lowercasing is {@code tf.strings.lower} without an encoding: ASCII
 * {@code A-Z} only (U+0130, U+03A3, U+00C4 and every other non-ASCII letter stay as they are);</li>
 * <li>punctuation stripping removes the 32 ASCII punctuation characters only;</li>
 * <li>whitespace splitting ({@code tf.strings.split}) splits at runs of the six
 * ASCII whitespace bytes space, tab, LF, VT, FF, CR only (no-break, ideographic,
 * zero-width spaces and U+2028 stay inside tokens) and drops empty tokens;</li>
 * <li>character splitting yields one token per code point;</li>
 * <li>n-grams join tokens with one space, all n-grams of each width in turn.</li>
 * </ul>
 * Tokens are looked up in the vocabulary by their bytes; out-of-vocabulary
 * tokens map to the OOV index, or with several OOV indices to
 * {@code Fingerprint64(token) mod n} (SipHash with a salt) as TensorFlow hashes them.
 *
 * <p>Immutable after construction and thread-safe: scratch space is per thread.
 */
public final class TextVectorizer {
    public static final int SPLIT_NONE = 0;
    public static final int SPLIT_WHITESPACE = 1;
    public static final int SPLIT_CHARACTER = 2;

    public static final int INT = 0;
    public static final int ONE_HOT = 1;
    public static final int MULTI_HOT = 2;
    public static final int COUNT = 3;
    public static final int TF_IDF = 4;
    /** Hashing layer: the token's hash bucket (plus one with a mask value). */
    public static final int HASH = 5;
    /** Hashing layer, output_mode one_hot / multi_hot / count over num_bins. */
    public static final int HASH_ONE_HOT = 6;
    public static final int HASH_MULTI_HOT = 7;
    public static final int HASH_COUNT = 8;

    private final boolean lower;
    private final boolean strip;
    private final int split;
    private final int[] ngrams;
    private final int tokenStart;
    private final int numOov;
    private final int oovStart;
    private final byte[] mask;          // null: no mask token
    private final boolean strong;
    private final long key0;
    private final long key1;
    private final int mode;            // output encoding: INT, ONE_HOT, MULTI_HOT, COUNT or TF_IDF
    private final boolean hashing;     // Hashing layer: every token is hashed (no vocabulary)
    private final int length;           // output length (int with a sequence length, or depth); -1: variable
    private final float[] idf;
    // vocabulary: token i's bytes are vocab[starts[i], starts[i+1]); open addressing table of token indices + 1
    private final byte[] vocab;
    private final int[] starts;
    private final int[] table;
    private final int tableMask;
    private final int vocabSize;

    /** Per-thread scratch (an anonymous subclass: {@code ThreadLocal.withInitial} is Android API 26). */
    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<Scratch>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private static final class Scratch {
        byte[] bytes = new byte[256];
        int[] from = new int[64];
        int[] to = new int[64];
        int[] ids = new int[64];
        byte[] gram = new byte[256];
    }

    /**
     * @param packed the vocabulary (without special tokens), each token written as its UTF-16 length,
     *               {@code ':'} and the token, split into chunks of any size
     */
    public TextVectorizer(boolean lower, boolean strip, int split, int[] ngrams, String[] packed, int tokenStart,
                          int numOov, int oovStart, String maskToken, boolean strong, long key0, long key1,
                          int mode, int length, float[] data, int idfOff) {
        this.lower = lower;
        this.strip = strip;
        this.split = split;
        this.ngrams = ngrams == null ? null : ngrams.clone();
        this.tokenStart = tokenStart;
        this.numOov = numOov;
        this.oovStart = oovStart;
        this.mask = maskToken == null ? null : maskToken.getBytes(StandardCharsets.UTF_8);
        this.strong = strong;
        this.key0 = key0;
        this.key1 = key1;
        this.hashing = mode >= HASH;
        this.mode = mode == HASH ? INT : mode == HASH_ONE_HOT ? ONE_HOT : mode == HASH_MULTI_HOT ? MULTI_HOT
                : mode == HASH_COUNT ? COUNT : mode;
        this.length = length;
        this.idf = mode == TF_IDF ? Arrays.copyOfRange(data, idfOff, idfOff + length) : null;
        StringBuilder all = new StringBuilder();
        for (String c : packed) {
            all.append(c);
        }
        String text = all.toString();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        int[] st = new int[16];
        int n = 0;
        int pos = 0;
        while (pos < text.length()) {
            int colon = text.indexOf(':', pos);
            int len = Integer.parseInt(text.substring(pos, colon));
            byte[] b = text.substring(colon + 1, colon + 1 + len).getBytes(StandardCharsets.UTF_8);
            if (n + 2 > st.length) {
                st = Arrays.copyOf(st, st.length * 2);
            }
            st[n] = bytes.size();
            bytes.write(b, 0, b.length);
            n++;
            pos = colon + 1 + len;
        }
        st[n] = bytes.size();
        this.vocab = bytes.toByteArray();
        this.starts = Arrays.copyOf(st, n + 1);
        this.vocabSize = n;
        int cap = 16;
        while (cap < 2 * n + 2) {
            cap <<= 1;
        }
        this.table = new int[cap];
        this.tableMask = cap - 1;
        for (int i = 0; i < n; i++) {
            int h = hash(vocab, starts[i], starts[i + 1]) & tableMask;
            while (table[h] != 0) {
                h = (h + 1) & tableMask;
            }
            table[h] = i + 1;
        }
    }

    /** Number of vocabulary tokens (without the mask and OOV tokens). */
    public int vocabularySize() {
        return vocabSize;
    }

    private static int hash(byte[] b, int from, int to) {
        int h = 0x811c9dc5;
        for (int i = from; i < to; i++) {
            h = (h ^ (b[i] & 0xff)) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    private int find(byte[] b, int from, int to) {
        int h = hash(b, from, to) & tableMask;
        final int len = to - from;
        while (true) {
            int e = table[h];
            if (e == 0) {
                return -1;
            }
            int s = starts[e - 1];
            if (starts[e] - s == len) {
                int k = 0;
                while (k < len && vocab[s + k] == b[from + k]) {
                    k++;
                }
                if (k == len) {
                    return e - 1;
                }
            }
            h = (h + 1) & tableMask;
        }
    }

    private static boolean isPunct(int c) {
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    }

    private static boolean isSpace(int c) {
        return c == ' ' || (c >= 9 && c <= 13);
    }

    /** UTF-8 like String.getBytes(UTF_8), lowercased / stripped on the fly; returns the byte count. */
    private int standardize(String text, Scratch s) {
        final int n = text.length();
        if (s.bytes.length < 3 * n) {
            s.bytes = new byte[Math.max(3 * n, 2 * s.bytes.length)];
        }
        final byte[] b = s.bytes;
        int k = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                if (strip && isPunct(c)) {
                    continue;
                }
                b[k++] = (byte) (lower && c >= 'A' && c <= 'Z' ? c + 32 : c);
            } else if (c < 0x800) {
                b[k++] = (byte) (0xc0 | (c >> 6));
                b[k++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, text.charAt(++i));
                b[k++] = (byte) (0xf0 | (cp >> 18));
                b[k++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                b[k++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                b[k++] = (byte) (0x80 | (cp & 0x3f));
            } else if (Character.isSurrogate(c)) {
                // An unpaired surrogate: Java's UTF-8 encoder writes '?', which is ASCII punctuation.
                if (!strip) {
                    b[k++] = '?';
                }
            } else {
                b[k++] = (byte) (0xe0 | (c >> 12));
                b[k++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                b[k++] = (byte) (0x80 | (c & 0x3f));
            }
        }
        return k;
    }

    private static void room(Scratch s, int n) {
        if (s.from.length < n) {
            int m = Math.max(n, 2 * s.from.length);
            s.from = Arrays.copyOf(s.from, m);
            s.to = Arrays.copyOf(s.to, m);
        }
    }

    private int splitTokens(int len, Scratch s) {
        final byte[] b = s.bytes;
        int t = 0;
        if (split == SPLIT_NONE) {
            room(s, 1);
            s.from[0] = 0;
            s.to[0] = len;
            return 1;
        }
        if (split == SPLIT_WHITESPACE) {
            int i = 0;
            while (i < len) {
                while (i < len && isSpace(b[i])) {
                    i++;
                }
                if (i >= len) {
                    break;
                }
                int st = i;
                while (i < len && !isSpace(b[i])) {
                    i++;
                }
                room(s, t + 1);
                s.from[t] = st;
                s.to[t++] = i;
            }
            return t;
        }
        int i = 0;   // SPLIT_CHARACTER: one token per code point (the bytes are valid UTF-8)
        while (i < len) {
            int c = b[i] & 0xff;
            int w = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
            room(s, t + 1);
            s.from[t] = i;
            s.to[t++] = i + w;
            i += w;
        }
        return t;
    }

    /** The id of one token, or -2 for a mask token to drop (non-int modes). */
    private int lookup(byte[] b, int from, int to) {
        if (mask != null && to - from == mask.length) {
            int k = 0;
            while (k < mask.length && mask[k] == b[from + k]) {
                k++;
            }
            if (k == mask.length) {
                return mode == INT || hashing ? 0 : -2;   // Hashing keeps bin 0 for the mask
            }
        }
        if (hashing) {
            long bucket = strong ? StringHash.bucketStrong(b, from, to - from, key0, key1, numOov)
                                 : StringHash.bucketFast(b, from, to - from, numOov);
            return (int) bucket + oovStart;
        }
        int i = find(b, from, to);
        if (i >= 0) {
            return tokenStart + i;
        }
        if (numOov == 0) {
            throw new IllegalArgumentException("a token is not in the vocabulary and the layer has num_oov_indices=0: "
                    + new String(b, from, to - from, StandardCharsets.UTF_8));
        }
        if (numOov == 1) {
            return oovStart;
        }
        long bucket = strong ? StringHash.bucketStrong(b, from, to - from, key0, key1, numOov)
                             : StringHash.bucketFast(b, from, to - from, numOov);
        return (int) bucket + oovStart;
    }

    private void addId(Scratch s, int n, int id) {
        if (s.ids.length <= n) {
            s.ids = Arrays.copyOf(s.ids, Math.max(n + 1, 2 * s.ids.length));
        }
        s.ids[n] = id;
    }

    /** Tokenizes into the thread's scratch ids; returns their count (dropped mask tokens excluded). */
    private int ids(String text, Scratch s) {
        int len = standardize(text, s);
        int t = splitTokens(len, s);
        int n = 0;
        if (ngrams == null) {
            for (int i = 0; i < t; i++) {
                int id = lookup(s.bytes, s.from[i], s.to[i]);
                if (id != -2) {
                    addId(s, n++, id);
                }
            }
            return n;
        }
        for (int w : ngrams) {
            for (int i = 0; i + w <= t; i++) {
                int glen = 0;
                for (int j = i; j < i + w; j++) {
                    glen += s.to[j] - s.from[j] + 1;
                }
                if (s.gram.length < glen) {
                    s.gram = new byte[Math.max(glen, 2 * s.gram.length)];
                }
                int k = 0;
                for (int j = i; j < i + w; j++) {
                    if (j > i) {
                        s.gram[k++] = ' ';
                    }
                    System.arraycopy(s.bytes, s.from[j], s.gram, k, s.to[j] - s.from[j]);
                    k += s.to[j] - s.from[j];
                }
                int id = lookup(s.gram, 0, k);
                if (id != -2) {
                    addId(s, n++, id);
                }
            }
        }
        return n;
    }

    /** The output length for this text: fixed, or the number of ids (variable-length int output). */
    public int outputLength(String text) {
        if (length >= 0) {
            return length;
        }
        return ids(text, SCRATCH.get());
    }

    /**
     * Encodes one text as the layer's float output.
     *
     * @param text the text ({@code null} is refused)
     * @param reuse an array to reuse when it has the right length, or null
     * @return the layer's output for this text (token ids, or a vector of vocabulary size)
     */
    public float[] encode(String text, float[] reuse) {
        if (text == null) {
            throw new IllegalArgumentException("text input is null");
        }
        Scratch s = SCRATCH.get();
        int n = ids(text, s);
        int outLen = length >= 0 ? length : n;
        float[] out = reuse != null && reuse.length == outLen ? reuse : new float[outLen];
        Arrays.fill(out, 0f);
        if (mode == INT) {
            for (int i = 0; i < Math.min(n, outLen); i++) {
                out[i] = s.ids[i];
            }
            return out;
        }
        for (int i = 0; i < n; i++) {
            int id = s.ids[i];
            if (id < 0 || id >= outLen) {
                throw new IllegalArgumentException("token id " + id + " is outside the output depth " + outLen);
            }
            if (mode == COUNT || mode == TF_IDF) {
                out[id] += 1f;
            } else {
                out[id] = 1f;
            }
        }
        if (mode == TF_IDF) {
            for (int i = 0; i < outLen; i++) {
                out[i] *= idf[i];
            }
        }
        return out;
    }

    /** Checks the number of inputs of a mixed text and numeric call. */
    public static void inputCount(Object[] inputs, int expected) {
        if (inputs == null) {
            throw new IllegalArgumentException("inputs is null; expected " + expected + " input(s)");
        }
        if (inputs.length != expected) {
            throw new IllegalArgumentException("expected " + expected + " input(s), got " + inputs.length);
        }
    }

    /** The text of one model input: a String, refused otherwise. */
    public static String text(Object value, String what) {
        if (value instanceof String) {
            return (String) value;
        }
        throw new IllegalArgumentException(what + " must be a String, got "
                + (value == null ? "null" : value.getClass().getSimpleName()));
    }

    /** A numeric model input of a mixed call: a float[], refused otherwise. */
    public static float[] floats(Object value, String what) {
        if (value instanceof float[]) {
            return (float[]) value;
        }
        throw new IllegalArgumentException(what + " must be a float[], got "
                + (value == null ? "null" : value.getClass().getSimpleName()));
    }
}
