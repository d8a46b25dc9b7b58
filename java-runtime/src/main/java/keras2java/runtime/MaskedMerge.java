package keras2java.runtime;

import java.util.Arrays;

/**
 * Merge layers on masked sequences {@code (steps, width)}: the merged Keras mask
 * and, for Keras 3's Maximum, Minimum and Multiply, the values they change at
 * masked steps.  A mask is one float per timestep (0 = masked); a null mask
 * marks an input without one.
 */
public final class MaskedMerge {
    private MaskedMerge() {
    }

    /** The merged mask: AND ({@code and}) or OR of the non-null masks. */
    public static void combine(boolean and, float[][] masks, int steps, float[] y) {
        for (int t = 0; t < steps; t++) {
            boolean v = and;
            for (float[] m : masks) {
                if (m == null) {
                    continue;
                }
                boolean on = m[t] != 0f;
                v = and ? v && on : v || on;
            }
            y[t] = v ? 1f : 0f;
        }
    }

    /**
     * The mask of a concatenation along the timestep axis: each input's mask in turn
     * ({@code steps[i]} values), all true (1) for an input without one (a null mask).
     */
    public static void concatenate(float[][] masks, float[] y, int... steps) {
        int pos = 0;
        for (int i = 0; i < masks.length; i++) {
            final int n = steps[i];
            if (masks[i] == null) {
                Arrays.fill(y, pos, pos + n, 1f);
            } else {
                System.arraycopy(masks[i], 0, y, pos, n);
            }
            pos += n;
        }
    }

    /** Keras 3 {@code _apply_merge_op_and_or_mask} with maximum ({@code max}) or minimum. */
    public static void maxMin(boolean max, float[][] xs, float[][] masks, int steps, int width, float[] y) {
        for (int t = 0; t < steps; t++) {
            for (int j = 0; j < width; j++) {
                final int p = t * width + j;
                float out = xs[0][p];
                boolean omPresent = masks[0] != null;
                boolean om = omPresent && masks[0][t] != 0f;
                for (int i = 1; i < xs.length; i++) {
                    float x = xs[i][p];
                    float[] m = masks[i];
                    if (m != null && m[t] == 0f) {
                        x = out;
                    }
                    if (omPresent && !om) {
                        out = x;
                    }
                    if (m != null && omPresent) {
                        om = om || m[t] != 0f;
                    } else {
                        omPresent = false;
                    }
                    out = max ? Math.max(out, x) : Math.min(out, x);
                }
                y[p] = out;
            }
        }
    }

    /** Keras 3 Multiply: masked steps count as 1; with every input masked, steps masked in all give 0. */
    public static void multiply(float[][] xs, float[][] masks, int steps, int width, float[] y) {
        boolean all = true;
        for (float[] m : masks) {
            all &= m != null;
        }
        for (int t = 0; t < steps; t++) {
            boolean any = false;
            for (float[] m : masks) {
                any |= m != null && m[t] != 0f;
            }
            for (int j = 0; j < width; j++) {
                final int p = t * width + j;
                float out = 1f;
                for (int i = 0; i < xs.length; i++) {
                    float[] m = masks[i];
                    out *= (m != null && m[t] == 0f) ? 1f : xs[i][p];
                }
                y[p] = all && !any ? 0f : out;
            }
        }
    }
}
