package keras2java.runtime;

/** Keras Embedding: each token id selects a row of the {@code (vocabulary, dim)} matrix.  Immutable. */
public final class Embedding {
    private final float[] data;
    private final int off;
    private final int vocabulary;
    private final int dim;

    public Embedding(float[] data, int off, int vocabulary, int dim) {
        Check.slice(data, off, vocabulary * dim, "Embedding matrix");
        this.data = data;
        this.off = off;
        this.vocabulary = vocabulary;
        this.dim = dim;
    }

    /**
     * Looks up {@code n} token ids given as floats (converted like Keras'
     * cast to int32: truncated toward zero) and writes {@code n * dim} floats.
     *
     * @throws IllegalArgumentException if an id is not in [0, vocabulary)
     */
    public void forward(float[] ids, int idsOff, int n, float[] y, int yOff) {
        for (int i = 0; i < n; i++) {
            final float v = ids[idsOff + i];
            if (!(v > -1f && v < vocabulary)) {
                throw new IllegalArgumentException("token id " + v + " at position " + i
                        + " is outside the vocabulary [0, " + vocabulary + ")");
            }
            System.arraycopy(data, off + ((int) v) * dim, y, yOff + i * dim, dim);
        }
    }

    /**
     * Token ids as floats (exact for every id below 2^24).
     *
     * @throws IllegalArgumentException if {@code ids} is null or an id is negative or not below 2^24
     */
    public static float[] toFloats(int[] ids, String name) {
        if (ids == null) {
            throw new IllegalArgumentException(name + " is null; expected token ids");
        }
        float[] out = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= (1 << 24)) {
                throw new IllegalArgumentException(name + ": token id " + ids[i] + " at position " + i
                        + " is negative or too large");
            }
            out[i] = ids[i];
        }
        return out;
    }
}
