package keras2java.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} on the JDK's Vector API (JDK 17+, run with
 * {@code --add-modules jdk.incubator.vector}).
 *
 * <p>Every output element is computed with exactly the float operations of the
 * portable kernels in {@link MatMul} and {@link Activation}, in the same order
 * (no fused multiply-add), so results are bit-identical.  The gain comes from
 * keeping accumulators in registers across the whole reduction and from wide
 * vectors: {@code SPECIES_PREFERRED} is the widest the CPU supports.
 */
public final class VectorKernels extends Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    public VectorKernels() {
    }

    @Override
    String describe() {
        return "jdk.incubator.vector, " + L + " floats";
    }

    private static FloatVector init(float[] bias, int j) {
        return bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, j);
    }

    @Override
    int matmulSlices(float[] x, int xOff, int rows, int in, float[][] w, float[] bias, int out,
                     float[] y, int yOff) {
        final int jv = S.loopBound(out);
        final int r4 = rows - (rows & 3);
        int j = 0;
        // Column slices outermost: a slice of the weights (2 vectors wide, all inputs) is
        // read from memory once and then reused from cache by every block of four rows.
        for (; j + 2 * L <= jv; j += 2 * L) {
            final int j1 = j + L;
            int r = 0;
            for (; r < r4; r += 4) {
                final int x0 = xOff + r * in;
                final int x1 = x0 + in;
                final int x2 = x1 + in;
                final int x3 = x2 + in;
                // (Vectors live across the outer loops would defeat C2's unboxing.)
                FloatVector a00 = init(bias, j);
                FloatVector a01 = init(bias, j1);
                FloatVector a10 = a00;
                FloatVector a11 = a01;
                FloatVector a20 = a00;
                FloatVector a21 = a01;
                FloatVector a30 = a00;
                FloatVector a31 = a01;
                for (int k = 0; k < in; k++) {
                    final float[] wk = w[k];
                    final FloatVector w0 = FloatVector.fromArray(S, wk, j);
                    final FloatVector w1 = FloatVector.fromArray(S, wk, j1);
                    final float c0 = x[x0 + k];
                    final float c1 = x[x1 + k];
                    final float c2 = x[x2 + k];
                    final float c3 = x[x3 + k];
                    a00 = a00.add(w0.mul(c0));
                    a01 = a01.add(w1.mul(c0));
                    a10 = a10.add(w0.mul(c1));
                    a11 = a11.add(w1.mul(c1));
                    a20 = a20.add(w0.mul(c2));
                    a21 = a21.add(w1.mul(c2));
                    a30 = a30.add(w0.mul(c3));
                    a31 = a31.add(w1.mul(c3));
                }
                final int y0 = yOff + r * out + j;
                a00.intoArray(y, y0);
                a01.intoArray(y, y0 + L);
                a10.intoArray(y, y0 + out);
                a11.intoArray(y, y0 + out + L);
                a20.intoArray(y, y0 + 2 * out);
                a21.intoArray(y, y0 + 2 * out + L);
                a30.intoArray(y, y0 + 3 * out);
                a31.intoArray(y, y0 + 3 * out + L);
            }
            for (; r < rows; r++) {
                final int x0 = xOff + r * in;
                FloatVector a0 = init(bias, j);
                FloatVector a1 = init(bias, j1);
                for (int k = 0; k < in; k++) {
                    final float[] wk = w[k];
                    final float c0 = x[x0 + k];
                    a0 = a0.add(FloatVector.fromArray(S, wk, j).mul(c0));
                    a1 = a1.add(FloatVector.fromArray(S, wk, j1).mul(c0));
                }
                final int y0 = yOff + r * out + j;
                a0.intoArray(y, y0);
                a1.intoArray(y, y0 + L);
            }
        }
        return j;
    }

    /** Columns per panel of a packed matrix: four vectors. */
    private static final int P = 4 * L;

    /**
     * The full {@code P}-column panels of an {@code (n, out)} matrix, each panel
     * stored row after row ({@code n * P} contiguous floats), so a mat-vec reads
     * the weights as one sequential stream.  Columns past the last full panel
     * stay in the row arrays.
     */
    @Override
    float[] pack(float[][] w, int n, int out) {
        final int panels = out / P;
        if (panels == 0) {
            return null;
        }
        final float[] packed = new float[panels * n * P];
        for (int c = 0; c < panels; c++) {
            for (int k = 0; k < n; k++) {
                System.arraycopy(w[k], c * P, packed, (c * n + k) * P, P);
            }
        }
        return packed;
    }

    @Override
    int addVecMatPanels(float[] v, int vOff, int n, float[] packed, int out, float[] y, int yOff) {
        final int n4 = n >= 4 ? n - (n & 3) : 0;
        int j = 0;
        if (packed != null) {
            final int panels = out / P;
            for (int c = 0; c < panels; c++, j += P) {
                final int y0 = yOff + j;
                FloatVector a0 = FloatVector.fromArray(S, y, y0);
                FloatVector a1 = FloatVector.fromArray(S, y, y0 + L);
                FloatVector a2 = FloatVector.fromArray(S, y, y0 + 2 * L);
                FloatVector a3 = FloatVector.fromArray(S, y, y0 + 3 * L);
                int o = c * n * P;
                int k = 0;
                for (; k < n4; k += 4, o += 4 * P) {
                    final float c0 = v[vOff + k];
                    final float c1 = v[vOff + k + 1];
                    final float c2 = v[vOff + k + 2];
                    final float c3 = v[vOff + k + 3];
                    a0 = a0.add(FloatVector.fromArray(S, packed, o).mul(c0)
                            .add(FloatVector.fromArray(S, packed, o + P).mul(c1))
                            .add(FloatVector.fromArray(S, packed, o + 2 * P).mul(c2))
                            .add(FloatVector.fromArray(S, packed, o + 3 * P).mul(c3)));
                    a1 = a1.add(FloatVector.fromArray(S, packed, o + L).mul(c0)
                            .add(FloatVector.fromArray(S, packed, o + P + L).mul(c1))
                            .add(FloatVector.fromArray(S, packed, o + 2 * P + L).mul(c2))
                            .add(FloatVector.fromArray(S, packed, o + 3 * P + L).mul(c3)));
                    a2 = a2.add(FloatVector.fromArray(S, packed, o + 2 * L).mul(c0)
                            .add(FloatVector.fromArray(S, packed, o + P + 2 * L).mul(c1))
                            .add(FloatVector.fromArray(S, packed, o + 2 * P + 2 * L).mul(c2))
                            .add(FloatVector.fromArray(S, packed, o + 3 * P + 2 * L).mul(c3)));
                    a3 = a3.add(FloatVector.fromArray(S, packed, o + 3 * L).mul(c0)
                            .add(FloatVector.fromArray(S, packed, o + P + 3 * L).mul(c1))
                            .add(FloatVector.fromArray(S, packed, o + 2 * P + 3 * L).mul(c2))
                            .add(FloatVector.fromArray(S, packed, o + 3 * P + 3 * L).mul(c3)));
                }
                for (; k < n; k++, o += P) {
                    final float ck = v[vOff + k];
                    a0 = a0.add(FloatVector.fromArray(S, packed, o).mul(ck));
                    a1 = a1.add(FloatVector.fromArray(S, packed, o + L).mul(ck));
                    a2 = a2.add(FloatVector.fromArray(S, packed, o + 2 * L).mul(ck));
                    a3 = a3.add(FloatVector.fromArray(S, packed, o + 3 * L).mul(ck));
                }
                a0.intoArray(y, y0);
                a1.intoArray(y, y0 + L);
                a2.intoArray(y, y0 + 2 * L);
                a3.intoArray(y, y0 + 3 * L);
            }
        }
        return j;
    }

    /** {@link Activation#tanh}, lane by lane, with the same operations. */
    private static FloatVector tanh(FloatVector x) {
        final FloatVector c = x.max(-9f).min(9f);
        final FloatVector x2 = c.mul(c);
        FloatVector p = x2.mul(Activation.TANH_P0).add(Activation.TANH_P1);
        p = p.mul(x2).add(Activation.TANH_P2);
        p = p.mul(x2).add(Activation.TANH_P3);
        p = p.mul(x2).add(Activation.TANH_P4);
        p = p.mul(x2).add(Activation.TANH_P5);
        p = p.mul(x2).add(Activation.TANH_P6);
        FloatVector q = x2.mul(Activation.TANH_Q0).add(Activation.TANH_Q1);
        q = q.mul(x2).add(Activation.TANH_Q2);
        q = q.mul(x2).add(Activation.TANH_Q3);
        return p.mul(c).div(q);
    }

    @Override
    void tanh(float[] a, int off, int len) {
        final int vb = off + S.loopBound(len);
        final int end = off + len;
        int i = off;
        for (; i < vb; i += L) {
            tanh(FloatVector.fromArray(S, a, i)).intoArray(a, i);
        }
        for (; i < end; i++) {
            a[i] = Activation.tanh(a[i]);
        }
    }

    @Override
    void sigmoid(float[] a, int off, int len) {
        final int vb = off + S.loopBound(len);
        final int end = off + len;
        int i = off;
        for (; i < vb; i += L) {
            tanh(FloatVector.fromArray(S, a, i).mul(0.5f)).mul(0.5f).add(0.5f).intoArray(a, i);
        }
        for (; i < end; i++) {
            a[i] = Activation.sigmoid(a[i]);
        }
    }
}
