package keras2java.runtime;

import java.util.Arrays;

/**
 * Integer encoders: each input value becomes an index, by bucketing
 * (Discretization), by truncation (CategoryEncoding) or by vocabulary lookup
 * (IntegerLookup), and the indices are written as numbers, one-hot rows, or
 * multi-hot / count rows over groups of inputs.  Indices outside
 * {@code [0, depth)} contribute nothing to one-hot, multi-hot and count rows
 * ({@code tf.one_hot} and {@code tf.math.bincount} drop them).  Immutable.
 */
public final class Categorical {
    /** Index = number of boundaries {@code <= x} ({@code tf.raw_ops.Bucketize}). */
    public static final int DIGITIZE = 0;
    /** Index = x truncated to an integer. */
    public static final int CAST = 1;
    /** Index = position of the integer x in a vocabulary, with mask and OOV indices. */
    public static final int LOOKUP = 2;
    /** IntegerLookup(invert=True): the vocabulary entry at index x (mask token at 0, else the OOV token). */
    public static final int INVERT = 3;

    public static final int INT = 0;
    public static final int ONE_HOT = 1;
    public static final int MULTI_HOT = 2;
    public static final int COUNT = 3;

    private final int lookup;
    private final int output;
    private final int depth;
    private final int group;
    private final float[] bounds;
    private final long[] keys;
    private final int[] indices;
    private final boolean hasMask;
    private final long maskToken;
    private final int maskIndex;
    private final int oovStart;
    private final int numOov;
    private final int tokenStart;
    private final long oovToken;

    /**
     * @param off, n       the boundaries (DIGITIZE) or the vocabulary (LOOKUP) in {@code data}
     * @param tokenStart   LOOKUP: index of the first vocabulary entry
     * @param group        MULTI_HOT and COUNT: input values per output row
     */
    public Categorical(float[] data, int lookup, int off, int n, int output, int depth, int group,
                       boolean hasMask, long maskToken, int maskIndex, int oovStart, int numOov, int tokenStart,
                       long oovToken) {
        this.lookup = lookup;
        this.output = output;
        this.depth = depth;
        this.group = group;
        this.hasMask = hasMask;
        this.maskToken = maskToken;
        this.maskIndex = maskIndex;
        this.oovStart = oovStart;
        this.numOov = numOov;
        this.tokenStart = tokenStart;
        this.oovToken = oovToken;
        if (n > 0) {
            Check.slice(data, off, n, "categorical layer table");
        }
        if (lookup == DIGITIZE) {
            this.bounds = Arrays.copyOfRange(data, off, off + n);
            this.keys = null;
            this.indices = null;
        } else if (lookup == INVERT) {
            this.bounds = null;
            this.keys = new long[n];
            for (int i = 0; i < n; i++) {
                keys[i] = (long) data[off + i];
            }
            this.indices = null;
        } else if (lookup == LOOKUP) {
            this.bounds = null;
            long[][] pairs = new long[n][];
            for (int i = 0; i < n; i++) {
                pairs[i] = new long[] {(long) data[off + i], tokenStart + i};
            }
            Arrays.sort(pairs, (p, q) -> Long.compare(p[0], q[0]));
            this.keys = new long[n];
            this.indices = new int[n];
            for (int i = 0; i < n; i++) {
                keys[i] = pairs[i][0];
                indices[i] = (int) pairs[i][1];
            }
        } else {
            this.bounds = null;
            this.keys = null;
            this.indices = null;
        }
    }

    /** The index of one input value. */
    public long index(float v) {
        switch (lookup) {
            case DIGITIZE: {
                int lo = 0;
                int hi = bounds.length;
                while (lo < hi) {     // std::upper_bound: first boundary with v < boundary
                    final int mid = (lo + hi) >>> 1;
                    if (v < bounds[mid]) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                return lo;
            }
            case CAST:
                return (long) v;
            case INVERT: {
                final long t = (long) v;
                if (hasMask && t == 0) {
                    return maskToken;
                }
                final long pos = t - tokenStart;
                return pos >= 0 && pos < keys.length ? keys[(int) pos] : oovToken;
            }
            default: {
                final long t = (long) v;
                if (hasMask && t == maskToken) {
                    return maskIndex;
                }
                final int pos = Arrays.binarySearch(keys, t);
                if (pos >= 0) {
                    return indices[pos];
                }
                if (numOov == 0) {
                    throw new IllegalArgumentException("IntegerLookup: value " + t
                            + " is not in the vocabulary and num_oov_indices=0");
                }
                return numOov == 1 ? oovStart : oovStart + ((t % numOov) + numOov) % numOov;   // floorMod (API 24)
            }
        }
    }

    /** Encodes {@code n} input values into {@code y}. */
    public void forward(float[] x, int n, float[] y) {
        switch (output) {
            case INT:
                for (int i = 0; i < n; i++) {
                    y[i] = (float) index(x[i]);
                }
                break;
            case ONE_HOT:
                Arrays.fill(y, 0, n * depth, 0f);
                for (int i = 0; i < n; i++) {
                    final long k = index(x[i]);
                    if (k >= 0 && k < depth) {
                        y[i * depth + (int) k] = 1f;
                    }
                }
                break;
            default: {
                final int rows = n / group;
                Arrays.fill(y, 0, rows * depth, 0f);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < group; j++) {
                        final long k = index(x[r * group + j]);
                        if (k >= 0 && k < depth) {
                            final int o = r * depth + (int) k;
                            y[o] = output == COUNT ? y[o] + 1f : 1f;
                        }
                    }
                }
                break;
            }
        }
    }
}
