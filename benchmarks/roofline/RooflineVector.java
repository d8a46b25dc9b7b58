import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API's ceiling (JDK 17+, --add-modules jdk.incubator.vector): FMA throughput with
 * 16 accumulators in registers (no memory), a matvec over panels of four vectors (weights in
 * L2, accumulators in registers over all inputs) and GEMM microkernels of 4 and 6 rows x 4 vectors.
 */
public final class RooflineVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private RooflineVector() {
    }

    static float peak(float[] a, long iters) {
        FloatVector x = FloatVector.fromArray(S, a, 0);
        FloatVector m = FloatVector.broadcast(S, 0.999f);
        FloatVector c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x;
        FloatVector c8 = x, c9 = x, c10 = x, c11 = x, c12 = x, c13 = x, c14 = x, c15 = x;
        for (long i = 0; i < iters; i++) {
            c0 = c0.fma(m, x); c1 = c1.fma(m, x); c2 = c2.fma(m, x); c3 = c3.fma(m, x);
            c4 = c4.fma(m, x); c5 = c5.fma(m, x); c6 = c6.fma(m, x); c7 = c7.fma(m, x);
            c8 = c8.fma(m, x); c9 = c9.fma(m, x); c10 = c10.fma(m, x); c11 = c11.fma(m, x);
            c12 = c12.fma(m, x); c13 = c13.fma(m, x); c14 = c14.fma(m, x); c15 = c15.fma(m, x);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .add(c12).add(c13).add(c14).add(c15).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /** Panels of 4 vectors: {@code p[c][k*4L + v*L + i]} is column {@code c*4L + v*L + i} of input k. */
    static float[][] panels(float[][] w) {
        final int n = w[0].length / (4 * L);
        float[][] p = new float[n][w.length * 4 * L];
        for (int c = 0; c < n; c++) {
            for (int k = 0; k < w.length; k++) {
                System.arraycopy(w[k], c * 4 * L, p[c], k * 4 * L, 4 * L);
            }
        }
        return p;
    }

    static void matvec(float[] x, float[][] p, int in, float[] y) {
        for (int c = 0; c < p.length; c++) {
            final float[] pc = p[c];
            final int j = c * 4 * L;
            FloatVector a0 = FloatVector.fromArray(S, y, j), a1 = FloatVector.fromArray(S, y, j + L);
            FloatVector a2 = FloatVector.fromArray(S, y, j + 2 * L), a3 = FloatVector.fromArray(S, y, j + 3 * L);
            for (int k = 0, o = 0; k < in; k++, o += 4 * L) {
                final FloatVector xk = FloatVector.broadcast(S, x[k]);
                a0 = FloatVector.fromArray(S, pc, o).fma(xk, a0);
                a1 = FloatVector.fromArray(S, pc, o + L).fma(xk, a1);
                a2 = FloatVector.fromArray(S, pc, o + 2 * L).fma(xk, a2);
                a3 = FloatVector.fromArray(S, pc, o + 3 * L).fma(xk, a3);
            }
            a0.intoArray(y, j); a1.intoArray(y, j + L); a2.intoArray(y, j + 2 * L); a3.intoArray(y, j + 3 * L);
        }
    }

    /** Four rows at a time over each panel: 16 accumulators. */
    static void gemm(float[] x, float[][] p, int in, float[][] y) {
        for (int r = 0; r + 3 < y.length; r += 4) {
            for (int c = 0; c < p.length; c++) {
                micro(x, r * in, in, p[c], c * 4 * L, y[r], y[r + 1], y[r + 2], y[r + 3]);
            }
        }
    }

    private static void micro(float[] x, int x0, int in, float[] pc, int j, float[] y0, float[] y1, float[] y2,
                              float[] y3) {
        FloatVector s00 = FloatVector.fromArray(S, y0, j), s01 = FloatVector.fromArray(S, y0, j + L);
        FloatVector s02 = FloatVector.fromArray(S, y0, j + 2 * L), s03 = FloatVector.fromArray(S, y0, j + 3 * L);
        FloatVector s10 = FloatVector.fromArray(S, y1, j), s11 = FloatVector.fromArray(S, y1, j + L);
        FloatVector s12 = FloatVector.fromArray(S, y1, j + 2 * L), s13 = FloatVector.fromArray(S, y1, j + 3 * L);
        FloatVector s20 = FloatVector.fromArray(S, y2, j), s21 = FloatVector.fromArray(S, y2, j + L);
        FloatVector s22 = FloatVector.fromArray(S, y2, j + 2 * L), s23 = FloatVector.fromArray(S, y2, j + 3 * L);
        FloatVector s30 = FloatVector.fromArray(S, y3, j), s31 = FloatVector.fromArray(S, y3, j + L);
        FloatVector s32 = FloatVector.fromArray(S, y3, j + 2 * L), s33 = FloatVector.fromArray(S, y3, j + 3 * L);
        for (int k = 0, o = 0; k < in; k++, o += 4 * L) {
            final FloatVector w0 = FloatVector.fromArray(S, pc, o), w1 = FloatVector.fromArray(S, pc, o + L);
            final FloatVector w2 = FloatVector.fromArray(S, pc, o + 2 * L), w3 = FloatVector.fromArray(S, pc, o + 3 * L);
            FloatVector a = FloatVector.broadcast(S, x[x0 + k]);
            s00 = w0.fma(a, s00); s01 = w1.fma(a, s01); s02 = w2.fma(a, s02); s03 = w3.fma(a, s03);
            a = FloatVector.broadcast(S, x[x0 + in + k]);
            s10 = w0.fma(a, s10); s11 = w1.fma(a, s11); s12 = w2.fma(a, s12); s13 = w3.fma(a, s13);
            a = FloatVector.broadcast(S, x[x0 + 2 * in + k]);
            s20 = w0.fma(a, s20); s21 = w1.fma(a, s21); s22 = w2.fma(a, s22); s23 = w3.fma(a, s23);
            a = FloatVector.broadcast(S, x[x0 + 3 * in + k]);
            s30 = w0.fma(a, s30); s31 = w1.fma(a, s31); s32 = w2.fma(a, s32); s33 = w3.fma(a, s33);
        }
        s00.intoArray(y0, j); s01.intoArray(y0, j + L); s02.intoArray(y0, j + 2 * L); s03.intoArray(y0, j + 3 * L);
        s10.intoArray(y1, j); s11.intoArray(y1, j + L); s12.intoArray(y1, j + 2 * L); s13.intoArray(y1, j + 3 * L);
        s20.intoArray(y2, j); s21.intoArray(y2, j + L); s22.intoArray(y2, j + 2 * L); s23.intoArray(y2, j + 3 * L);
        s30.intoArray(y3, j); s31.intoArray(y3, j + L); s32.intoArray(y3, j + 2 * L); s33.intoArray(y3, j + 3 * L);
    }

    /** Six rows at a time over each panel: 24 accumulators (the runtime's widest block); rows past a multiple of 6 left out. */
    static void gemm6(float[] x, float[][] p, int in, float[][] y) {
        for (int r = 0; r + 5 < y.length; r += 6) {
            for (int c = 0; c < p.length; c++) {
                micro6(x, r * in, in, p[c], c * 4 * L, y, r);
            }
        }
    }

    private static void micro6(float[] x, int x0, int in, float[] pc, int j, float[][] y, int r) {
        final float[] y0 = y[r + 0];
        final float[] y1 = y[r + 1];
        final float[] y2 = y[r + 2];
        final float[] y3 = y[r + 3];
        final float[] y4 = y[r + 4];
        final float[] y5 = y[r + 5];
        FloatVector s00 = FloatVector.fromArray(S, y0, j), s01 = FloatVector.fromArray(S, y0, j + L);
        FloatVector s02 = FloatVector.fromArray(S, y0, j + 2 * L), s03 = FloatVector.fromArray(S, y0, j + 3 * L);
        FloatVector s10 = FloatVector.fromArray(S, y1, j), s11 = FloatVector.fromArray(S, y1, j + L);
        FloatVector s12 = FloatVector.fromArray(S, y1, j + 2 * L), s13 = FloatVector.fromArray(S, y1, j + 3 * L);
        FloatVector s20 = FloatVector.fromArray(S, y2, j), s21 = FloatVector.fromArray(S, y2, j + L);
        FloatVector s22 = FloatVector.fromArray(S, y2, j + 2 * L), s23 = FloatVector.fromArray(S, y2, j + 3 * L);
        FloatVector s30 = FloatVector.fromArray(S, y3, j), s31 = FloatVector.fromArray(S, y3, j + L);
        FloatVector s32 = FloatVector.fromArray(S, y3, j + 2 * L), s33 = FloatVector.fromArray(S, y3, j + 3 * L);
        FloatVector s40 = FloatVector.fromArray(S, y4, j), s41 = FloatVector.fromArray(S, y4, j + L);
        FloatVector s42 = FloatVector.fromArray(S, y4, j + 2 * L), s43 = FloatVector.fromArray(S, y4, j + 3 * L);
        FloatVector s50 = FloatVector.fromArray(S, y5, j), s51 = FloatVector.fromArray(S, y5, j + L);
        FloatVector s52 = FloatVector.fromArray(S, y5, j + 2 * L), s53 = FloatVector.fromArray(S, y5, j + 3 * L);
        for (int k = 0, o = 0; k < in; k++, o += 4 * L) {
            final FloatVector w0 = FloatVector.fromArray(S, pc, o), w1 = FloatVector.fromArray(S, pc, o + L);
            final FloatVector w2 = FloatVector.fromArray(S, pc, o + 2 * L), w3 = FloatVector.fromArray(S, pc, o + 3 * L);
            FloatVector a = FloatVector.broadcast(S, x[x0 + k]);
            s00 = w0.fma(a, s00); s01 = w1.fma(a, s01); s02 = w2.fma(a, s02); s03 = w3.fma(a, s03);
            a = FloatVector.broadcast(S, x[x0 + in + k]);
            s10 = w0.fma(a, s10); s11 = w1.fma(a, s11); s12 = w2.fma(a, s12); s13 = w3.fma(a, s13);
            a = FloatVector.broadcast(S, x[x0 + 2 * in + k]);
            s20 = w0.fma(a, s20); s21 = w1.fma(a, s21); s22 = w2.fma(a, s22); s23 = w3.fma(a, s23);
            a = FloatVector.broadcast(S, x[x0 + 3 * in + k]);
            s30 = w0.fma(a, s30); s31 = w1.fma(a, s31); s32 = w2.fma(a, s32); s33 = w3.fma(a, s33);
            a = FloatVector.broadcast(S, x[x0 + 4 * in + k]);
            s40 = w0.fma(a, s40); s41 = w1.fma(a, s41); s42 = w2.fma(a, s42); s43 = w3.fma(a, s43);
            a = FloatVector.broadcast(S, x[x0 + 5 * in + k]);
            s50 = w0.fma(a, s50); s51 = w1.fma(a, s51); s52 = w2.fma(a, s52); s53 = w3.fma(a, s53);
        }
        s00.intoArray(y0, j); s01.intoArray(y0, j + L); s02.intoArray(y0, j + 2 * L); s03.intoArray(y0, j + 3 * L);
        s10.intoArray(y1, j); s11.intoArray(y1, j + L); s12.intoArray(y1, j + 2 * L); s13.intoArray(y1, j + 3 * L);
        s20.intoArray(y2, j); s21.intoArray(y2, j + L); s22.intoArray(y2, j + 2 * L); s23.intoArray(y2, j + 3 * L);
        s30.intoArray(y3, j); s31.intoArray(y3, j + L); s32.intoArray(y3, j + 2 * L); s33.intoArray(y3, j + 3 * L);
        s40.intoArray(y4, j); s41.intoArray(y4, j + L); s42.intoArray(y4, j + 2 * L); s43.intoArray(y4, j + 3 * L);
        s50.intoArray(y5, j); s51.intoArray(y5, j + L); s52.intoArray(y5, j + 2 * L); s53.intoArray(y5, j + 3 * L);
    }

    public static List<Roofline.Case> cases() {
        final float[] a = Roofline.vector(L, 1);
        final long iters = 100_000;
        final float[][] pv = panels(Roofline.rows(Roofline.MV_IN, Roofline.MV_OUT, 1));
        final float[] x = Roofline.vector(Roofline.MM_ROWS * Roofline.MM_IN, 2);
        final float[] y = new float[Roofline.MV_OUT];
        final float[][] pm = panels(Roofline.rows(Roofline.MM_IN, Roofline.MM_OUT, 3));
        final float[][] ym = Roofline.outRows(Roofline.MM_ROWS, Roofline.MM_OUT);
        List<Roofline.Case> c = new ArrayList<>();
        c.add(new Roofline.Case("FMA peak, registers only (" + L + " floats)", 2.0 * 16 * L * iters) {
            protected void run() {
                peak(a, iters);
            }
        });
        c.add(new Roofline.Case("shape matvec, 4 vector accumulators (vector)", 2.0 * Roofline.MV_IN * Roofline.MV_OUT) {
            protected void run() {
                matvec(x, pv, Roofline.MV_IN, y);
            }
        });
        c.add(new Roofline.Case("shape gemm 4 rows x 4 vectors (vector)",
                2.0 * Roofline.MM_IN * Roofline.MM_OUT * Roofline.MM_ROWS) {
            protected void run() {
                gemm(x, pm, Roofline.MM_IN, ym);
            }
        });
        c.add(new Roofline.Case("shape gemm 6 rows x 4 vectors (vector)",
                2.0 * Roofline.MM_IN * Roofline.MM_OUT * (Roofline.MM_ROWS - Roofline.MM_ROWS % 6)) {
            protected void run() {
                gemm6(x, pm, Roofline.MM_IN, ym);
            }
        });
        return c;
    }
}
