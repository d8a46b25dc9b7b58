package keras2java.runtime;

/**
 * Keras' {@code StringLookup(invert=True)}: token ids back to strings.  Ids of
 * vocabulary tokens give the token, id 0 gives the mask token when there is
 * one, every other id (OOV buckets, out of range) gives the OOV token, as
 * TensorFlow's lookup table does.  Immutable and thread-safe.
 */
public final class Vocabulary {
    private final String[] tokens;
    private final int tokenStart;
    private final String oovToken;
    private final String maskToken;

    /**
     * @param packed the tokens, each written as its UTF-16 length, {@code ':'} and the token,
     *               split into chunks of any size
     */
    public Vocabulary(String[] packed, int tokenStart, String oovToken, String maskToken) {
        StringBuilder all = new StringBuilder();
        for (String c : packed) {
            all.append(c);
        }
        String text = all.toString();
        java.util.ArrayList<String> list = new java.util.ArrayList<>();
        int pos = 0;
        while (pos < text.length()) {
            int colon = text.indexOf(':', pos);
            int len = Integer.parseInt(text.substring(pos, colon));
            list.add(text.substring(colon + 1, colon + 1 + len));
            pos = colon + 1 + len;
        }
        this.tokens = list.toArray(new String[0]);
        this.tokenStart = tokenStart;
        this.oovToken = oovToken;
        this.maskToken = maskToken;
    }

    /** The string of one id (the float is truncated to an integer, as Keras casts it to int64). */
    public String token(float id) {
        final long i = (long) id;
        if (maskToken != null && i == 0) {
            return maskToken;
        }
        final long k = i - tokenStart;
        return k >= 0 && k < tokens.length ? tokens[(int) k] : oovToken;
    }

    /** The strings of many ids. */
    public String[] decode(float[] ids) {
        final String[] out = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = token(ids[i]);
        }
        return out;
    }
}
