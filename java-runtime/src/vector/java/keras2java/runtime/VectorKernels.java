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

    /** Columns per wide panel of a packed matrix: four vectors. */
    private static final int P = 4 * L;

    /** Per-thread room for vectors at the ragged end of rows (no allocation per call). */
    private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[7 * L]);

    /**
     * An {@code (n, out)} matrix as panels that a mat-vec reads as sequential
     * streams: the columns, padded with zeros to whole vectors, first in wide
     * panels of four vectors ({@code P} columns, {@code n * P} contiguous floats
     * each), then the remaining one to three vectors one panel each
     * ({@code n * L} floats).  Every column is covered.
     */
    @Override
    float[] pack(float[][] w, int n, int out) {
        final int vectors = (out + L - 1) / L;
        final float[] packed = new float[vectors * n * L];
        final int wide = vectors / 4;
        int o = 0;
        for (int c = 0; c < wide; c++) {
            final int len = Math.min(P, out - c * P);
            for (int k = 0; k < n; k++, o += P) {
                System.arraycopy(w[k], c * P, packed, o, len);
            }
        }
        for (int j = wide * P; j < out; j += L) {
            final int len = Math.min(L, out - j);
            for (int k = 0; k < n; k++, o += L) {
                System.arraycopy(w[k], j, packed, o, len);
            }
        }
        return packed;
    }

    @Override
    void matmulPacked(float[] x, int xOff, int rows, int in, float[] w, float[] bias, int out,
                      float[] y, int yOff) {
        final int wide = (out + L - 1) / L / 4;
        final int r4 = rows - (rows & 3);
        final float[] t = out % L != 0 ? TAIL.get() : null;
        int j = 0;
        int o = 0;
        // Wide panels: 4 rows x 4 vectors of accumulators in registers over all inputs; a panel
        // (in x P floats) is read from memory once and reused from cache by every block of rows.
        // (Each block is a method of its own, small enough for C2 to compile the Vector API
        // calls to vector instructions.)
        for (int c = 0; c < wide; c++, j += P, o += in * P) {
            final int len3 = out - j - 3 * L;       // < L: the panel ends in a ragged vector
            for (int r = 0; r < r4; r += 4) {
                wide4(x, xOff + r * in, in, w, o, bias, j, y, yOff + r * out + j, out, len3, t);
            }
            for (int r = r4; r < rows; r++) {
                wide1(x, xOff + r * in, in, w, o, bias, j, y, yOff + r * out + j, len3, t);
            }
        }
        // The remaining one to three vectors, one panel each.
        for (; j < out; j += L, o += in * L) {
            final int len = out - j;
            for (int r = 0; r < r4; r += 4) {
                narrow4(x, xOff + r * in, in, w, o, bias, j, y, yOff + r * out + j, out, len, t);
            }
            for (int r = r4; r < rows; r++) {
                narrow1(x, xOff + r * in, in, w, o, bias, j, y, yOff + r * out + j, len, t);
            }
        }
    }

    /**
     * Four rows of a wide panel, in two halves of two vectors (8 accumulators: C2 keeps no
     * more than that in registers; with 16 it falls back to boxed vectors, 10x slower).
     */
    private static void wide4(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                              int out, int len3, float[] t) {
        half4(x, x0, in, w, o, bias, j, y, y0, out, L, null);
        half4(x, x0, in, w, o + 2 * L, bias, j + 2 * L, y, y0 + 2 * L, out, len3, t);
    }

    /** Two vectors of four rows; the second has {@code len1} valid lanes (a ragged end through {@code t}). */
    private static void half4(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                              int out, int len1, float[] t) {
        FloatVector a00 = start(bias, j);
        FloatVector a01 = start(bias, j + L);
        FloatVector a10 = a00;
        FloatVector a11 = a01;
        FloatVector a20 = a00;
        FloatVector a21 = a01;
        FloatVector a30 = a00;
        FloatVector a31 = a01;
        for (int k = 0, ok = o; k < in; k++, ok += P) {
            final FloatVector w0 = FloatVector.fromArray(S, w, ok);
            final FloatVector w1 = FloatVector.fromArray(S, w, ok + L);
            final float c0 = x[x0 + k];
            final float c1 = x[x0 + in + k];
            final float c2 = x[x0 + 2 * in + k];
            final float c3 = x[x0 + 3 * in + k];
            a00 = a00.add(w0.mul(c0));
            a01 = a01.add(w1.mul(c0));
            a10 = a10.add(w0.mul(c1));
            a11 = a11.add(w1.mul(c1));
            a20 = a20.add(w0.mul(c2));
            a21 = a21.add(w1.mul(c2));
            a30 = a30.add(w0.mul(c3));
            a31 = a31.add(w1.mul(c3));
        }
        a00.intoArray(y, y0);
        store(a01, y, y0 + L, len1, t);
        a10.intoArray(y, y0 + out);
        store(a11, y, y0 + out + L, len1, t);
        a20.intoArray(y, y0 + 2 * out);
        store(a21, y, y0 + 2 * out + L, len1, t);
        a30.intoArray(y, y0 + 3 * out);
        store(a31, y, y0 + 3 * out + L, len1, t);
    }

    private static void wide1(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                              int len3, float[] t) {
        FloatVector a0 = start(bias, j);
        FloatVector a1 = start(bias, j + L);
        FloatVector a2 = start(bias, j + 2 * L);
        FloatVector a3 = start(bias, j + 3 * L);
        for (int k = 0, ok = o; k < in; k++, ok += P) {
            final float c0 = x[x0 + k];
            a0 = a0.add(FloatVector.fromArray(S, w, ok).mul(c0));
            a1 = a1.add(FloatVector.fromArray(S, w, ok + L).mul(c0));
            a2 = a2.add(FloatVector.fromArray(S, w, ok + 2 * L).mul(c0));
            a3 = a3.add(FloatVector.fromArray(S, w, ok + 3 * L).mul(c0));
        }
        store4(a0, a1, a2, a3, y, y0, len3, t);
    }

    private static void narrow4(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                                int out, int len, float[] t) {
        FloatVector a0 = start(bias, j);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int k = 0, ok = o; k < in; k++, ok += L) {
            final FloatVector wv = FloatVector.fromArray(S, w, ok);
            a0 = a0.add(wv.mul(x[x0 + k]));
            a1 = a1.add(wv.mul(x[x0 + in + k]));
            a2 = a2.add(wv.mul(x[x0 + 2 * in + k]));
            a3 = a3.add(wv.mul(x[x0 + 3 * in + k]));
        }
        store(a0, y, y0, len, t);
        store(a1, y, y0 + out, len, t);
        store(a2, y, y0 + 2 * out, len, t);
        store(a3, y, y0 + 3 * out, len, t);
    }

    private static void narrow1(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                                int len, float[] t) {
        FloatVector a0 = start(bias, j);
        for (int k = 0, ok = o; k < in; k++, ok += L) {
            a0 = a0.add(FloatVector.fromArray(S, w, ok).mul(x[x0 + k]));
        }
        store(a0, y, y0, len, t);
    }

    /** The padded bias at column {@code j}, or zeros. */
    private static FloatVector start(float[] bias, int j) {
        return bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, j);
    }

    /** Stores the first {@code min(len, L)} lanes at {@code y[at..]} (a ragged end through {@code t}). */
    private static void store(FloatVector v, float[] y, int at, int len, float[] t) {
        if (len >= L) {
            v.intoArray(y, at);
        } else {
            v.intoArray(t, 0);
            System.arraycopy(t, 0, y, at, len);
        }
    }

    /** Stores four consecutive vectors at {@code y[at..]}; the last has {@code len3} valid lanes. */
    private static void store4(FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3, float[] y, int at,
                               int len3, float[] t) {
        v0.intoArray(y, at);
        v1.intoArray(y, at + L);
        v2.intoArray(y, at + 2 * L);
        store(v3, y, at + 3 * L, len3, t);
    }

    @Override
    void addVecMatPacked(float[] v, int vOff, int n, float[] packed, int out, float[] y, int yOff) {
        final int n4 = n >= 4 ? n - (n & 3) : 0;
        final int wide = (out + L - 1) / L / 4;
        int j = 0;
        int o = 0;
        for (int c = 0; c < wide; c++, j += P) {
            final int y0 = yOff + j;
            // The last wide panel may end in a ragged vector: through the buffer.
            final int len3 = out - j - 3 * L;
            final float[] t = len3 < L ? TAIL.get() : null;
            FloatVector a0 = FloatVector.fromArray(S, y, y0);
            FloatVector a1 = FloatVector.fromArray(S, y, y0 + L);
            FloatVector a2 = FloatVector.fromArray(S, y, y0 + 2 * L);
            FloatVector a3 = t == null ? FloatVector.fromArray(S, y, y0 + 3 * L) : ragged(y, y0 + 3 * L, len3, t);
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
            if (t == null) {
                a3.intoArray(y, y0 + 3 * L);
            } else {
                a3.intoArray(t, 0);
                System.arraycopy(t, 0, y, y0 + 3 * L, len3);
            }
        }
        for (; j < out; j += L, o += n * L) {
            final int len = out - j;
            final float[] t = len < L ? TAIL.get() : null;
            final FloatVector a0 = t == null ? FloatVector.fromArray(S, y, yOff + j) : ragged(y, yOff + j, len, t);
            final FloatVector r = panel(v, vOff, n, n4, packed, o, a0);
            if (t == null) {
                r.intoArray(y, yOff + j);
            } else {
                r.intoArray(t, 0);
                System.arraycopy(t, 0, y, yOff + j, len);
            }
        }
    }

    /** The first {@code len < L} floats at {@code a[off..]} as a vector (via {@code t}). */
    private static FloatVector ragged(float[] a, int off, int len, float[] t) {
        System.arraycopy(a, off, t, 0, len);
        return FloatVector.fromArray(S, t, 0);
    }

    /** {@code acc + v . panel} for one vector-wide panel at {@code packed[o..]}. */
    private static FloatVector panel(float[] v, int vOff, int n, int n4, float[] packed, int o, FloatVector acc) {
        FloatVector a0 = acc;
        int k = 0;
        for (; k < n4; k += 4, o += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, packed, o).mul(v[vOff + k])
                    .add(FloatVector.fromArray(S, packed, o + L).mul(v[vOff + k + 1]))
                    .add(FloatVector.fromArray(S, packed, o + 2 * L).mul(v[vOff + k + 2]))
                    .add(FloatVector.fromArray(S, packed, o + 3 * L).mul(v[vOff + k + 3])));
        }
        for (; k < n; k++, o += L) {
            a0 = a0.add(FloatVector.fromArray(S, packed, o).mul(v[vOff + k]));
        }
        return a0;
    }

    @Override
    void lstmGates(float[] p, int z, float[] st, int hOff, int u) {
        final int cOff = hOff + u;
        final int jv = S.loopBound(u);
        int j = 0;
        for (; j < jv; j += L) {
            final FloatVector c = lstm(FloatVector.fromArray(S, p, z + j), FloatVector.fromArray(S, p, z + u + j),
                    FloatVector.fromArray(S, p, z + 2 * u + j), FloatVector.fromArray(S, p, z + 3 * u + j),
                    FloatVector.fromArray(S, st, cOff + j), st, hOff + j);
            c.intoArray(st, cOff + j);
        }
        if (j < u) {
            // The last u % L elements: through a buffer, so nothing past the row is touched.
            final int len = u - j;
            final float[] t = TAIL.get();
            System.arraycopy(p, z + j, t, 0, len);
            System.arraycopy(p, z + u + j, t, L, len);
            System.arraycopy(p, z + 2 * u + j, t, 2 * L, len);
            System.arraycopy(p, z + 3 * u + j, t, 3 * L, len);
            System.arraycopy(st, cOff + j, t, 4 * L, len);
            final FloatVector c = lstm(FloatVector.fromArray(S, t, 0), FloatVector.fromArray(S, t, L),
                    FloatVector.fromArray(S, t, 2 * L), FloatVector.fromArray(S, t, 3 * L),
                    FloatVector.fromArray(S, t, 4 * L), t, 5 * L);
            c.intoArray(t, 6 * L);
            System.arraycopy(t, 5 * L, st, hOff + j, len);
            System.arraycopy(t, 6 * L, st, cOff + j, len);
        }
    }

    /** The new cell state; stores the new h at {@code h[hAt..]}. */
    private static FloatVector lstm(FloatVector xi, FloatVector xf, FloatVector xg, FloatVector xo, FloatVector c0,
                                    float[] h, int hAt) {
        final FloatVector i = sigmoid(xi);
        final FloatVector f = sigmoid(xf);
        final FloatVector g = tanh(xg);
        final FloatVector o = sigmoid(xo);
        final FloatVector c = f.mul(c0).add(i.mul(g));
        o.mul(tanh(c)).intoArray(h, hAt);
        return c;
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

    /** {@link Activation#sigmoid}, lane by lane, with the same operations. */
    private static FloatVector sigmoid(FloatVector x) {
        return tanh(x.mul(0.5f)).mul(0.5f).add(0.5f);
    }

    @Override
    void tanh(float[] a, int off, int len) {
        map(a, off, len, false);
    }

    @Override
    void sigmoid(float[] a, int off, int len) {
        map(a, off, len, true);
    }

    /** sigmoid or tanh in place over {@code a[off .. off+len)}. */
    private static void map(float[] a, int off, int len, boolean logistic) {
        final int vb = off + S.loopBound(len);
        final int end = off + len;
        int i = off;
        for (; i < vb; i += L) {
            final FloatVector x = FloatVector.fromArray(S, a, i);
            (logistic ? sigmoid(x) : tanh(x)).intoArray(a, i);
        }
        if (i < end) {
            final float[] t = TAIL.get();
            final FloatVector x = ragged(a, i, end - i, t);
            (logistic ? sigmoid(x) : tanh(x)).intoArray(t, 0);
            System.arraycopy(t, 0, a, i, end - i);
        }
    }
}
