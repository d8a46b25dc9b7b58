package keras2java.runtime;

/**
 * Keras 3 adaptive pooling: output {@code (i, j)} is the max or mean of the window
 * rows {@code [floor(i * h / oh), ceil((i + 1) * h / oh))} and columns
 * {@code [floor(j * w / ow), ceil((j + 1) * w / ow))} of an {@code (h, w, c)} image
 * (a sequence is an image of width 1).
 */
public final class AdaptivePool {
    public static final int MAX = 0;
    public static final int AVG = 1;

    private AdaptivePool() {
    }

    public static void pool(int mode, float[] x, int h, int w, int c, int oh, int ow, float[] y) {
        int yo = 0;
        for (int i = 0; i < oh; i++) {
            final int r0 = Math.min(i * h / oh, h - 1);
            final int r1 = Math.min(((i + 1) * h + oh - 1) / oh, h);
            for (int j = 0; j < ow; j++) {
                final int c0 = Math.min(j * w / ow, w - 1);
                final int c1 = Math.min(((j + 1) * w + ow - 1) / ow, w);
                final int count = (r1 - r0) * (c1 - c0);
                for (int ch = 0; ch < c; ch++) {
                    double acc = mode == MAX ? Double.NEGATIVE_INFINITY : 0.0;
                    for (int r = r0; r < r1; r++) {
                        for (int col = c0; col < c1; col++) {
                            final float v = x[(r * w + col) * c + ch];
                            acc = mode == MAX ? Math.max(acc, v) : acc + v;
                        }
                    }
                    y[yo++] = (float) (mode == MAX ? acc : acc / count);
                }
            }
        }
    }
}
