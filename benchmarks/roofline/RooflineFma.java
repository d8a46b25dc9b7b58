import java.util.ArrayList;
import java.util.List;

/** The FMA tier's loop shapes ({@code Math.fma}, Java 9+; compiled with --release 11). */
public final class RooflineFma {
    private RooflineFma() {
    }

    static void matvec4(float[] x, float[][] w, float[] y) {
        final int n = y.length;
        for (int k = 0; k + 3 < w.length; k += 4) {
            final float a0 = x[k], a1 = x[k + 1], a2 = x[k + 2], a3 = x[k + 3];
            final float[] v0 = w[k], v1 = w[k + 1], v2 = w[k + 2], v3 = w[k + 3];
            for (int j = 0; j < n; j++) {
                y[j] = Math.fma(a3, v3[j], Math.fma(a2, v2[j], Math.fma(a1, v1[j], Math.fma(a0, v0[j], y[j]))));
            }
        }
    }

    static void matvec6(float[] x, float[][] w, float[] y) {
        final int n = y.length;
        for (int k = 0; k + 5 < w.length; k += 6) {
            final float a0 = x[k], a1 = x[k + 1], a2 = x[k + 2], a3 = x[k + 3], a4 = x[k + 4], a5 = x[k + 5];
            final float[] v0 = w[k], v1 = w[k + 1], v2 = w[k + 2], v3 = w[k + 3], v4 = w[k + 4], v5 = w[k + 5];
            for (int j = 0; j < n; j++) {
                float s = Math.fma(a0, v0[j], y[j]);
                s = Math.fma(a1, v1[j], s);
                s = Math.fma(a2, v2[j], s);
                s = Math.fma(a3, v3[j], s);
                s = Math.fma(a4, v4[j], s);
                y[j] = Math.fma(a5, v5[j], s);
            }
        }
    }

    /** Rows in pairs, {@code step} (2 or 4) inputs per pass. */
    static void gemm(float[] x, float[][] w, float[][] y, int step) {
        final int in = w.length;
        final int n = w[0].length;
        for (int r = 0; r + 1 < y.length; r += 2) {
            final float[] ya = y[r], yb = y[r + 1];
            final int xa = r * in, xb = xa + in;
            if (step == 4) {
                for (int k = 0; k + 3 < in; k += 4) {
                    final float a0 = x[xa + k], a1 = x[xa + k + 1], a2 = x[xa + k + 2], a3 = x[xa + k + 3];
                    final float b0 = x[xb + k], b1 = x[xb + k + 1], b2 = x[xb + k + 2], b3 = x[xb + k + 3];
                    final float[] v0 = w[k], v1 = w[k + 1], v2 = w[k + 2], v3 = w[k + 3];
                    for (int j = 0; j < n; j++) {
                        final float w0 = v0[j], w1 = v1[j], w2 = v2[j], w3 = v3[j];
                        ya[j] = Math.fma(a3, w3, Math.fma(a2, w2, Math.fma(a1, w1, Math.fma(a0, w0, ya[j]))));
                        yb[j] = Math.fma(b3, w3, Math.fma(b2, w2, Math.fma(b1, w1, Math.fma(b0, w0, yb[j]))));
                    }
                }
            } else {
                for (int k = 0; k + 1 < in; k += 2) {
                    final float a0 = x[xa + k], a1 = x[xa + k + 1], b0 = x[xb + k], b1 = x[xb + k + 1];
                    final float[] v0 = w[k], v1 = w[k + 1];
                    for (int j = 0; j < n; j++) {
                        final float w0 = v0[j], w1 = v1[j];
                        ya[j] = Math.fma(a1, w1, Math.fma(a0, w0, ya[j]));
                        yb[j] = Math.fma(b1, w1, Math.fma(b0, w0, yb[j]));
                    }
                }
            }
        }
    }

    /** Rows in fours, four inputs per pass (the widest shape JDK 25's C2 vectorizes; JDK 17 leaves it scalar). */
    static void gemm4(float[] x, float[][] w, float[][] y) {
        final int in = w.length;
        final int n = w[0].length;
        for (int r = 0; r + 3 < y.length; r += 4) {
            final float[] ya = y[r], yb = y[r + 1], yc = y[r + 2], yd = y[r + 3];
            final int xa = r * in, xb = xa + in, xc = xb + in, xd = xc + in;
            for (int k = 0; k + 3 < in; k += 4) {
                final float a0 = x[xa + k], a1 = x[xa + k + 1], a2 = x[xa + k + 2], a3 = x[xa + k + 3];
                final float b0 = x[xb + k], b1 = x[xb + k + 1], b2 = x[xb + k + 2], b3 = x[xb + k + 3];
                final float c0 = x[xc + k], c1 = x[xc + k + 1], c2 = x[xc + k + 2], c3 = x[xc + k + 3];
                final float d0 = x[xd + k], d1 = x[xd + k + 1], d2 = x[xd + k + 2], d3 = x[xd + k + 3];
                final float[] v0 = w[k], v1 = w[k + 1], v2 = w[k + 2], v3 = w[k + 3];
                for (int j = 0; j < n; j++) {
                    final float w0 = v0[j], w1 = v1[j], w2 = v2[j], w3 = v3[j];
                    ya[j] = Math.fma(a3, w3, Math.fma(a2, w2, Math.fma(a1, w1, Math.fma(a0, w0, ya[j]))));
                    yb[j] = Math.fma(b3, w3, Math.fma(b2, w2, Math.fma(b1, w1, Math.fma(b0, w0, yb[j]))));
                    yc[j] = Math.fma(c3, w3, Math.fma(c2, w2, Math.fma(c1, w1, Math.fma(c0, w0, yc[j]))));
                    yd[j] = Math.fma(d3, w3, Math.fma(d2, w2, Math.fma(d1, w1, Math.fma(d0, w0, yd[j]))));
                }
            }
        }
    }

    /** Rows in threes, two inputs per pass (the widest shape JDK 17's C2 vectorizes); a last row left out. */
    static void gemm3(float[] x, float[][] w, float[][] y) {
        final int in = w.length;
        final int n = w[0].length;
        for (int r = 0; r + 2 < y.length; r += 3) {
            final float[] ya = y[r], yb = y[r + 1], yc = y[r + 2];
            final int xa = r * in, xb = xa + in, xc = xb + in;
            for (int k = 0; k + 1 < in; k += 2) {
                final float a0 = x[xa + k], a1 = x[xa + k + 1], b0 = x[xb + k], b1 = x[xb + k + 1];
                final float c0 = x[xc + k], c1 = x[xc + k + 1];
                final float[] v0 = w[k], v1 = w[k + 1];
                for (int j = 0; j < n; j++) {
                    final float w0 = v0[j], w1 = v1[j];
                    ya[j] = Math.fma(a1, w1, Math.fma(a0, w0, ya[j]));
                    yb[j] = Math.fma(b1, w1, Math.fma(b0, w0, yb[j]));
                    yc[j] = Math.fma(c1, w1, Math.fma(c0, w0, yc[j]));
                }
            }
        }
    }

    /**
     * Rows in fours, two inputs per pass (the widest four-row shape JDK 17's C2 vectorizes;
     * FmaKernels.quad before JDK 25).
     */
    static void gemm42(float[] x, float[][] w, float[][] y) {
        final int in = w.length;
        final int n = w[0].length;
        for (int r = 0; r + 3 < y.length; r += 4) {
            final float[] ya = y[r], yb = y[r + 1], yc = y[r + 2], yd = y[r + 3];
            final int xa = r * in, xb = xa + in, xc = xb + in, xd = xc + in;
            for (int k = 0; k + 1 < in; k += 2) {
                final float a0 = x[xa + k], a1 = x[xa + k + 1], b0 = x[xb + k], b1 = x[xb + k + 1];
                final float c0 = x[xc + k], c1 = x[xc + k + 1], d0 = x[xd + k], d1 = x[xd + k + 1];
                final float[] v0 = w[k], v1 = w[k + 1];
                for (int j = 0; j < n; j++) {
                    final float w0 = v0[j], w1 = v1[j];
                    ya[j] = Math.fma(a1, w1, Math.fma(a0, w0, ya[j]));
                    yb[j] = Math.fma(b1, w1, Math.fma(b0, w0, yb[j]));
                    yc[j] = Math.fma(c1, w1, Math.fma(c0, w0, yc[j]));
                    yd[j] = Math.fma(d1, w1, Math.fma(d0, w0, yd[j]));
                }
            }
        }
    }

    /**
     * Rows in threes, three inputs per pass: on JDK 17 fast with this case's arrays and at scalar
     * speed with others (output rows 8 floats shorter, one input fewer) or called as the runtime
     * calls its loops (accumulator rows as arguments): not a shape the runtime can rely on.
     */
    static void gemm33(float[] x, float[][] w, float[][] y) {
        final int in = w.length;
        final int n = w[0].length;
        for (int r = 0; r + 2 < y.length; r += 3) {
            final float[] ya = y[r], yb = y[r + 1], yc = y[r + 2];
            final int xa = r * in, xb = xa + in, xc = xb + in;
            for (int k = 0; k + 2 < in; k += 3) {
                final float a0 = x[xa + k], a1 = x[xa + k + 1], a2 = x[xa + k + 2];
                final float b0 = x[xb + k], b1 = x[xb + k + 1], b2 = x[xb + k + 2];
                final float c0 = x[xc + k], c1 = x[xc + k + 1], c2 = x[xc + k + 2];
                final float[] v0 = w[k], v1 = w[k + 1], v2 = w[k + 2];
                for (int j = 0; j < n; j++) {
                    final float w0 = v0[j], w1 = v1[j], w2 = v2[j];
                    ya[j] = Math.fma(a2, w2, Math.fma(a1, w1, Math.fma(a0, w0, ya[j])));
                    yb[j] = Math.fma(b2, w2, Math.fma(b1, w1, Math.fma(b0, w0, yb[j])));
                    yc[j] = Math.fma(c2, w2, Math.fma(c1, w1, Math.fma(c0, w0, yc[j])));
                }
            }
        }
    }

    /** FmaKernels' rational interpolant at {@code c} (fused multiply-adds, no clamp). */
    static float tanhOf(float c) {
        final float x2 = c * c;
        float p = Math.fma(x2, Roofline.P0, Roofline.P1);
        p = Math.fma(p, x2, Roofline.P2);
        p = Math.fma(p, x2, Roofline.P3);
        p = Math.fma(p, x2, Roofline.P4);
        p = Math.fma(p, x2, Roofline.P5);
        p = Math.fma(p, x2, Roofline.P6);
        float q = Math.fma(x2, Roofline.Q0, Roofline.Q1);
        q = Math.fma(q, x2, Roofline.Q2);
        q = Math.fma(q, x2, Roofline.Q3);
        return p * c / q;
    }

    /** {@link Roofline#smallShape8} with the FMA tier's operations: fma products, tanh and sigmoids. */
    static Roofline.Step smallShape(final boolean clamped) {
        return (proj, w, a, st) -> {
            final int u = Roofline.SMALL_UNITS;
            final int n = Roofline.SMALL_ROW;
            System.arraycopy(proj, 0, a, 0, 4 * u);
            int k = 0;
            for (; k + 3 < u; k += 4) {
                final float x0 = st[k], x1 = st[k + 1], x2 = st[k + 2], x3 = st[k + 3];
                final float[] v0 = w[k], v1 = w[k + 1], v2 = w[k + 2], v3 = w[k + 3];
                for (int j = 0; j < n; j++) {
                    a[j] = Math.fma(x3, v3[j], Math.fma(x2, v2[j], Math.fma(x1, v1[j], Math.fma(x0, v0[j], a[j]))));
                }
            }
            for (; k < u; k++) {
                final float x = st[k];
                final float[] v = w[k];
                for (int j = 0; j < n; j++) {
                    a[j] = Math.fma(x, v[j], a[j]);
                }
            }
            if (clamped) {
                for (int j = 0; j < n; j++) {
                    a[j] = tanhOf(Math.max(-9f, Math.min(9f, a[j])));
                }
            } else {
                for (int j = 0; j < n; j++) {
                    a[j] = tanhOf(a[j]);
                }
            }
            for (int j = 0; j < u; j++) {
                final float c = Math.fma(0.5f, a[u + j], 0.5f) * st[u + j] + Math.fma(0.5f, a[j], 0.5f) * a[2 * u + j];
                st[u + j] = c;
                final float t = clamped ? tanhOf(c > 9f ? 9f : (c < -9f ? -9f : c)) : tanhOf(c);
                st[j] = Math.fma(0.5f, a[3 * u + j], 0.5f) * t;
            }
        };
    }

    public static List<Roofline.Case> cases() {
        final float[][] wv = Roofline.rows(Roofline.MV_IN, Roofline.MV_OUT, 1);
        final float[] x = Roofline.vector(Roofline.MM_ROWS * Roofline.MM_IN, 2);
        final float[] y = new float[Roofline.MV_OUT];
        final float[][] wm = Roofline.rows(Roofline.MM_IN, Roofline.MM_OUT, 3);
        final float[][] ym = Roofline.outRows(Roofline.MM_ROWS, Roofline.MM_OUT);
        final double mv = 2.0 * Roofline.MV_IN * Roofline.MV_OUT;
        final double mm = 2.0 * Roofline.MM_IN * Roofline.MM_OUT * Roofline.MM_ROWS;
        List<Roofline.Case> c = new ArrayList<>();
        c.add(new Roofline.Case("shape matvec x4 (fma)", mv) {
            protected void run() {
                matvec4(x, wv, y);
            }
        });
        c.add(new Roofline.Case("shape matvec x6 (fma)", mv) {
            protected void run() {
                matvec6(x, wv, y);
            }
        });
        c.add(Roofline.smallStep("shape small LSTM step, 4 inputs a pass over rows of 64 (fma)", smallShape(true)));
        c.add(Roofline.smallStep("bound small LSTM step: that shape with tanh unclamped (fma; wrong above |x| = 9)",
                smallShape(false)));
        c.add(new Roofline.Case("shape gemm 2 rows x 2 inputs (fma)", mm) {
            protected void run() {
                gemm(x, wm, ym, 2);
            }
        });
        c.add(new Roofline.Case("shape gemm 2 rows x 4 inputs (fma)", mm) {
            protected void run() {
                gemm(x, wm, ym, 4);
            }
        });
        final int rows3 = Roofline.MM_ROWS - Roofline.MM_ROWS % 3;
        c.add(new Roofline.Case("shape gemm 3 rows x 2 inputs (fma)", 2.0 * Roofline.MM_IN * Roofline.MM_OUT * rows3) {
            protected void run() {
                gemm3(x, wm, ym);
            }
        });
        c.add(new Roofline.Case("shape gemm 4 rows x 4 inputs (fma)", mm) {
            protected void run() {
                gemm4(x, wm, ym);
            }
        });
        c.add(new Roofline.Case("shape gemm 4 rows x 2 inputs (fma)", mm) {
            protected void run() {
                gemm42(x, wm, ym);
            }
        });
        c.add(new Roofline.Case("shape gemm 3 rows x 3 inputs (fma)",
                2.0 * (Roofline.MM_IN - Roofline.MM_IN % 3) * Roofline.MM_OUT * rows3) {
            protected void run() {
                gemm33(x, wm, ym);
            }
        });
        return c;
    }
}
