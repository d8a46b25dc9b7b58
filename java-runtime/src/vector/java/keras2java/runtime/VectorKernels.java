package keras2java.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} on the JDK's Vector API (JDK 17+, run with
 * {@code --add-modules jdk.incubator.vector}).
 *
 * <p>Matrix products use fused multiply-add, so results differ from the portable
 * kernels in the low bits (both stay within 1e-5 of Keras); every output element
 * is computed by the same sequence of operations whichever block, batch size or
 * batch position computes it, so results are deterministic.  The gain comes from
 * register-blocked microkernels (6 or 4 rows x 4 vectors of accumulators, 4 x 2 at ragged
 * ends), from weights
 * packed once at load into panels read sequentially, from FMA and from wide
 * vectors: {@code SPECIES_PREFERRED} is the widest the CPU supports.
 *
 * <p>HotSpot turns Vector API calls into vector instructions only when no
 * vector value crosses a method boundary that is not inlined or flows through
 * a branch; otherwise it falls back to boxed vectors, 10 to 100 times slower,
 * depending on the JIT's inlining decisions of the moment.  So no method here
 * takes or returns a vector (helpers take arrays and offsets), ragged ends only
 * choose the array and offset a vector is loaded from or stored to.  The 6 x 4
 * blocks hold 24 accumulators (and 4 weight vectors and a broadcast input) in registers: made
 * for the 32 vector registers of AVX-512 (on a CPU with 16 they spill some: not measured).
 */
public final class VectorKernels extends Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Columns per wide panel of a packed matrix: four vectors. */
    private static final int P = 4 * L;

    /** Per-thread room for vectors at the ragged end of rows (no allocation per call). */
    private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[8 * L]);

    public VectorKernels() {
    }

    @Override
    String describe() {
        return "jdk.incubator.vector, " + L + " floats";
    }

    /**
     * An {@code (n, out)} matrix as panels that a mat-vec reads as sequential
     * streams: the columns, padded with zeros to whole vectors, first in wide
     * panels of four vectors ({@code P} columns, {@code n * P} floats each, one
     * input after the other), then the remaining one to three vectors one panel
     * each ({@code n * L} floats).  Every column is covered.
     */
    @Override
    float[][] pack(float[] data, int off, int ld, int n, int out) {
        final int vectors = (out + L - 1) / L;
        final int wide = vectors / 4;
        final float[][] panels = new float[wide + vectors % 4][];
        for (int c = 0; c < wide; c++) {
            final int len = Math.min(P, out - c * P);
            final float[] panel = panels[c] = new float[n * P];
            for (int k = 0; k < n; k++) {
                System.arraycopy(data, off + k * ld + c * P, panel, k * P, len);
            }
        }
        for (int c = wide, j = wide * P; j < out; c++, j += L) {
            final int len = Math.min(L, out - j);
            final float[] panel = panels[c] = new float[n * L];
            for (int k = 0; k < n; k++) {
                System.arraycopy(data, off + k * ld + j, panel, k * L, len);
            }
        }
        return panels;
    }

    /** The bias padded with zeros to whole vectors. */
    @Override
    float[] packBias(float[] data, int off, int out) {
        final float[] b = new float[(out + L - 1) / L * L];
        if (off >= 0) {
            System.arraycopy(data, off, b, 0, out);
        }
        return b;
    }

    // ---------------------------------------------------------------- input projection

    @Override
    void matmul(float[] x, int xOff, int rows, int in, float[][] w, float[] bias, int out, float[] y, int yOff) {
        final int wide = (out + L - 1) / L / 4;
        final int r4 = rows - (rows & 3);
        final float[] t = out % L != 0 ? TAIL.get() : null;
        int j = 0;
        int c = 0;
        // Wide panels: blocks of 6 or 4 rows x 4 vectors (or, for a ragged last panel, 4 x 2) of
        // accumulators in registers over all inputs; a panel (in x P floats) is read from memory
        // once and reused from cache by every block of rows.
        for (; c < wide; c++, j += P) {
            final float[] panel = w[c];
            // rows [first, fours) go through block4 in fours, rows [fours, rows) through block1
            int first = 0;
            int fours = r4;
            if (j + P <= out) {
                // four whole vectors: blocks of 6 rows x 4 vectors, then of 4 x 4, started from the bias
                int r = 0;
                for (; r + 5 < rows; r += 6) {
                    final int yr = yOff + r * out + j;
                    for (int q = 0; q < 6; q++) {
                        System.arraycopy(bias, j, y, yr + q * out, P);
                    }
                    acc64(x, xOff + r * in, in, in, panel, y, yr, out);
                }
                for (; r + 3 < rows; r += 4) {
                    final int yr = yOff + r * out + j;
                    for (int q = 0; q < 4; q++) {
                        System.arraycopy(bias, j, y, yr + q * out, P);
                    }
                    acc44(x, xOff + r * in, in, in, panel, y, yr, out);
                }
                first = r;
                fours = r;
            }
            for (int h = 0; h < 2; h++) {
                final int jh = j + 2 * h * L;
                final int len1 = out - jh - L;       // valid lanes of the second vector
                for (int r = first; r < fours; r += 4) {
                    block4(x, xOff + r * in, in, panel, 2 * h * L, bias, jh, y, yOff + r * out + jh, out, len1, t);
                }
                for (int r = fours; r < rows; r++) {
                    block1(x, xOff + r * in, in, panel, 2 * h * L, bias, jh, y, yOff + r * out + jh, len1, t);
                }
            }
        }
        // The remaining one to three vectors, one panel each.
        for (; j < out; c++, j += L) {
            final float[] panel = w[c];
            final int len0 = out - j;
            for (int r = 0; r < r4; r += 4) {
                narrow4(x, xOff + r * in, in, panel, 0, bias, j, y, yOff + r * out + j, out, len0, t);
            }
            for (int r = r4; r < rows; r++) {
                narrow1(x, xOff + r * in, in, panel, 0, bias, j, y, yOff + r * out + j, len0, t);
            }
        }
    }

    /**
     * Rows {@code r..r+3} (at {@code x[x0..]}, {@code in} apart) times two vectors
     * of a wide panel at {@code w[o..]} ({@code P} floats per input): {@code y0} is
     * row r's first column.  The second vector has {@code len} valid lanes; a
     * ragged one is stored through {@code t}.
     */
    private static void block4(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                               int out, int len, float[] t) {
        FloatVector a00 = FloatVector.fromArray(S, bias, j);
        FloatVector a01 = FloatVector.fromArray(S, bias, j + L);
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
            a00 = w0.fma(FloatVector.broadcast(S, c0), a00);
            a01 = w1.fma(FloatVector.broadcast(S, c0), a01);
            a10 = w0.fma(FloatVector.broadcast(S, c1), a10);
            a11 = w1.fma(FloatVector.broadcast(S, c1), a11);
            a20 = w0.fma(FloatVector.broadcast(S, c2), a20);
            a21 = w1.fma(FloatVector.broadcast(S, c2), a21);
            a30 = w0.fma(FloatVector.broadcast(S, c3), a30);
            a31 = w1.fma(FloatVector.broadcast(S, c3), a31);
        }
        a00.intoArray(y, y0);
        a10.intoArray(y, y0 + out);
        a20.intoArray(y, y0 + 2 * out);
        a30.intoArray(y, y0 + 3 * out);
        final int yl = y0 + L;
        final boolean whole = len >= L;
        final float[] d = whole ? y : t;
        a01.intoArray(d, whole ? yl : 0);
        a11.intoArray(d, whole ? yl + out : L);
        a21.intoArray(d, whole ? yl + 2 * out : 2 * L);
        a31.intoArray(d, whole ? yl + 3 * out : 3 * L);
        if (!whole) {
            for (int r = 0; r < 4; r++) {
                System.arraycopy(t, r * L, y, yl + r * out, len);
            }
        }
    }

    /** One row: as {@link #block4}. */
    private static void block1(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                               int len, float[] t) {
        FloatVector a0 = FloatVector.fromArray(S, bias, j);
        FloatVector a1 = FloatVector.fromArray(S, bias, j + L);
        for (int k = 0, ok = o; k < in; k++, ok += P) {
            final float c0 = x[x0 + k];
            a0 = FloatVector.fromArray(S, w, ok).fma(FloatVector.broadcast(S, c0), a0);
            a1 = FloatVector.fromArray(S, w, ok + L).fma(FloatVector.broadcast(S, c0), a1);
        }
        a0.intoArray(y, y0);
        final boolean whole = len >= L;
        a1.intoArray(whole ? y : t, whole ? y0 + L : 0);
        if (!whole) {
            System.arraycopy(t, 0, y, y0 + L, len);
        }
    }

    /** Rows {@code r..r+3} times a one-vector panel at {@code w[o..]} ({@code L} floats per input). */
    private static void narrow4(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                                int out, int len, float[] t) {
        FloatVector a0 = FloatVector.fromArray(S, bias, j);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int k = 0, ok = o; k < in; k++, ok += L) {
            final FloatVector wv = FloatVector.fromArray(S, w, ok);
            a0 = wv.fma(FloatVector.broadcast(S, x[x0 + k]), a0);
            a1 = wv.fma(FloatVector.broadcast(S, x[x0 + in + k]), a1);
            a2 = wv.fma(FloatVector.broadcast(S, x[x0 + 2 * in + k]), a2);
            a3 = wv.fma(FloatVector.broadcast(S, x[x0 + 3 * in + k]), a3);
        }
        final boolean whole = len >= L;
        final float[] d = whole ? y : t;
        a0.intoArray(d, whole ? y0 : 0);
        a1.intoArray(d, whole ? y0 + out : L);
        a2.intoArray(d, whole ? y0 + 2 * out : 2 * L);
        a3.intoArray(d, whole ? y0 + 3 * out : 3 * L);
        if (!whole) {
            for (int r = 0; r < 4; r++) {
                System.arraycopy(t, r * L, y, y0 + r * out, len);
            }
        }
    }

    /** One row: as {@link #narrow4}. */
    private static void narrow1(float[] x, int x0, int in, float[] w, int o, float[] bias, int j, float[] y, int y0,
                                int len, float[] t) {
        FloatVector a0 = FloatVector.fromArray(S, bias, j);
        for (int k = 0, ok = o; k < in; k++, ok += L) {
            a0 = FloatVector.fromArray(S, w, ok).fma(FloatVector.broadcast(S, x[x0 + k]), a0);
        }
        final boolean whole = len >= L;
        a0.intoArray(whole ? y : t, whole ? y0 : 0);
        if (!whole) {
            System.arraycopy(t, 0, y, y0, len);
        }
    }

    // ---------------------------------------------------------------- recurrent step (batched)

    /**
     * Every lane of every row is {@code y = fma(w_k, x_k, y)} over the inputs k in order,
     * whichever block computes it, so a row's bits never depend on the other rows.
     * One row ({@link #rowColumns}; batch 1, memory-bound): a whole wide panel per pass, four
     * accumulators, the panel read once as one sequential stream.  Several rows: blocks of 4 rows x 2
     * vectors of accumulators in registers, each panel read once per block of rows.
     */
    @Override
    void gemmRows(float[] x, int xOff, int ldx, int rows, int in, float[][] w, int out, float[] y, int yOff,
                  int ldy) {
        final int wide = (out + L - 1) / L / 4;
        final int r4 = rows - (rows & 3);
        final float[] t = TAIL.get();
        int j = 0;
        int c = 0;
        for (; c < wide; c++, j += P) {
            final float[] panel = w[c];
            // rows [first, fours) go through acc4 in fours, rows [fours, rows) through acc1
            int first = 0;
            int fours = r4;
            if (j + P <= out) {
                // a panel of four whole vectors: blocks of 6 rows x 4 vectors (24 accumulators),
                // then of 4 x 4 (16), the last rows alone
                int r = 0;
                for (; r + 5 < rows; r += 6) {
                    acc64(x, xOff + r * ldx, ldx, in, panel, y, yOff + r * ldy + j, ldy);
                }
                for (; r + 3 < rows; r += 4) {
                    acc44(x, xOff + r * ldx, ldx, in, panel, y, yOff + r * ldy + j, ldy);
                }
                first = r;
                fours = r;
            }
            for (int h = 0; h < 2; h++) {
                final int jh = j + 2 * h * L;
                final int len1 = out - jh - L;
                for (int r = first; r < fours; r += 4) {
                    acc4(x, xOff + r * ldx, ldx, in, panel, 2 * h * L, P, y, yOff + r * ldy + jh, ldy, len1, t);
                }
                for (int r = fours; r < rows; r++) {
                    acc1(x, xOff + r * ldx, in, panel, 2 * h * L, P, y, yOff + r * ldy + jh, len1, t);
                }
            }
        }
        for (; j < out; c++, j += L) {
            final float[] panel = w[c];
            final int len0 = out - j;
            for (int r = 0; r < r4; r += 4) {
                nacc4(x, xOff + r * ldx, ldx, in, panel, y, yOff + r * ldy + j, ldy, len0, t);
            }
            for (int r = r4; r < rows; r++) {
                nacc1(x, xOff + r * ldx, in, panel, y, yOff + r * ldy + j, len0, t);
            }
        }
    }

    /**
     * One row (batch 1, memory-bound), the wide panels from column {@code j0} on (a multiple of a
     * panel) up to {@code j1} (a multiple of a panel, or {@code out}: then the single vectors
     * after them too): two panels per pass where whole, else one.
     *
     * <p>Every other call on a thread goes over the panels from the last to the first.  A
     * recurrent step calls this with the same matrix each timestep; where the matrix is larger
     * than the core's L2 (the large LSTM's 512 x 2048, 4 MiB), a pass in one direction leaves
     * its last panels in L2 and a pass in the same direction evicts them before it reaches
     * them, so every step read the whole matrix from L3.  Turning round, the next step starts
     * on the panels still in L2.  Each output is still its own FMA chain over the inputs in
     * order: the same bits in either direction.  Measured, the roofline's large recurrent step
     * at batch 1 (4 fresh JVMs per variant, alternating, load 0.9-1.0): 50.8-53.5 -> 66.6-67.4
     * GFLOP/s.
     */
    @Override
    void rowColumns(float[] x, int xOff, int in, float[][] w, int out, float[] y, int yOff, int j0, int j1) {
        final int wide = (out + L - 1) / L / 4;
        final int end = j1 == out ? wide : j1 / P;
        final float[] t = TAIL.get();
        final int first = j0 / P;
        // one panel (a small layer's whole matrix) has no direction: no per-thread lookup
        if (end - first < 2 || (++CALLS.get()[0] & 1) == 0) {
            forwardPanels(x, xOff, in, w, out, y, yOff, first, end, t);
        } else {
            backwardPanels(x, xOff, in, w, out, y, yOff, first, end, t);
        }
        if (j1 == out) {
            for (int c = end, j = end * P; j < out; c++, j += L) {
                nacc1(x, xOff, in, w[c], y, yOff + j, out - j, t);
            }
        }
    }

    /** Calls of {@link #rowColumns} on this thread: its direction alternates. */
    private static final ThreadLocal<int[]> CALLS = ThreadLocal.withInitial(() -> new int[1]);

    /** Panels {@code [c0, end)} first to last, two at a time where both are whole. */
    private static void forwardPanels(float[] x, int xOff, int in, float[][] w, int out, float[] y, int yOff,
                                      int c0, int end, float[] t) {
        for (int c = c0; c < end; c++) {
            final int j = c * P;
            if (c + 1 < end && j + 2 * P <= out) {
                // two whole panels at once: eight independent FMA chains keep both FMA units busy
                row8(x, xOff, in, w[c], w[c + 1], y, yOff + j);
                c++;
            } else {
                row4(x, xOff, in, w[c], y, yOff + j, out - j - 3 * L, t);
            }
        }
    }

    /** Panels {@code [c0, end)} last to first, in pairs from the end (a lone first panel last). */
    private static void backwardPanels(float[] x, int xOff, int in, float[][] w, int out, float[] y, int yOff,
                                       int c0, int end, float[] t) {
        int c = end - 2;
        for (; c >= c0; c -= 2) {
            final int j = c * P;
            if (j + 2 * P <= out) {
                row8(x, xOff, in, w[c], w[c + 1], y, yOff + j);
            } else {
                row4(x, xOff, in, w[c + 1], y, yOff + j + P, out - j - P - 3 * L, t);
                row4(x, xOff, in, w[c], y, yOff + j, out - j - 3 * L, t);
            }
        }
        if (c + 1 == c0) {
            row4(x, xOff, in, w[c0], y, yOff + c0 * P, out - c0 * P - 3 * L, t);
        }
    }

    @Override
    int rowShareColumns() {
        return P;
    }

    /**
     * One row times two wide panels of whole vectors (no padding lanes):
     * {@code y[y0 .. y0+8L) += x . (w | v)}.  Every lane is the FMA chain of {@link #row4}.
     */
    private static void row8(float[] x, int x0, int in, float[] w, float[] v, float[] y, int y0) {
        final int y1 = y0 + P;
        FloatVector a0 = FloatVector.fromArray(S, y, y0);
        FloatVector a1 = FloatVector.fromArray(S, y, y0 + L);
        FloatVector a2 = FloatVector.fromArray(S, y, y0 + 2 * L);
        FloatVector a3 = FloatVector.fromArray(S, y, y0 + 3 * L);
        FloatVector b0 = FloatVector.fromArray(S, y, y1);
        FloatVector b1 = FloatVector.fromArray(S, y, y1 + L);
        FloatVector b2 = FloatVector.fromArray(S, y, y1 + 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, y, y1 + 3 * L);
        for (int k = 0, o = 0; k < in; k++, o += P) {
            final FloatVector c = FloatVector.broadcast(S, x[x0 + k]);
            a0 = FloatVector.fromArray(S, w, o).fma(c, a0);
            a1 = FloatVector.fromArray(S, w, o + L).fma(c, a1);
            a2 = FloatVector.fromArray(S, w, o + 2 * L).fma(c, a2);
            a3 = FloatVector.fromArray(S, w, o + 3 * L).fma(c, a3);
            b0 = FloatVector.fromArray(S, v, o).fma(c, b0);
            b1 = FloatVector.fromArray(S, v, o + L).fma(c, b1);
            b2 = FloatVector.fromArray(S, v, o + 2 * L).fma(c, b2);
            b3 = FloatVector.fromArray(S, v, o + 3 * L).fma(c, b3);
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + L);
        a2.intoArray(y, y0 + 2 * L);
        a3.intoArray(y, y0 + 3 * L);
        b0.intoArray(y, y1);
        b1.intoArray(y, y1 + L);
        b2.intoArray(y, y1 + 2 * L);
        b3.intoArray(y, y1 + 3 * L);
    }

    /**
     * One row times a whole wide panel at {@code w[0..]}: {@code y[y0 .. y0+4L) += x . panel};
     * the fourth vector has {@code len3} valid lanes (a ragged one goes through {@code t}).
     */
    private static void row4(float[] x, int x0, int in, float[] w, float[] y, int y0, int len3, float[] t) {
        final boolean whole = len3 >= L;
        final float[] d = whole ? y : t;
        final int d3 = whole ? y0 + 3 * L : 0;
        if (!whole) {
            System.arraycopy(y, y0 + 3 * L, t, 0, len3);
        }
        FloatVector a0 = FloatVector.fromArray(S, y, y0);
        FloatVector a1 = FloatVector.fromArray(S, y, y0 + L);
        FloatVector a2 = FloatVector.fromArray(S, y, y0 + 2 * L);
        FloatVector a3 = FloatVector.fromArray(S, d, d3);
        for (int k = 0, o = 0; k < in; k++, o += P) {
            final FloatVector c = FloatVector.broadcast(S, x[x0 + k]);
            a0 = FloatVector.fromArray(S, w, o).fma(c, a0);
            a1 = FloatVector.fromArray(S, w, o + L).fma(c, a1);
            a2 = FloatVector.fromArray(S, w, o + 2 * L).fma(c, a2);
            a3 = FloatVector.fromArray(S, w, o + 3 * L).fma(c, a3);
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + L);
        a2.intoArray(y, y0 + 2 * L);
        a3.intoArray(d, d3);
        if (!whole) {
            System.arraycopy(t, 0, y, y0 + 3 * L, len3);
        }
    }

    /**
     * Rows {@code r..r+3} (at {@code x[x0..]}, {@code ldx} apart; their outputs at
     * {@code y[y0..]}, {@code ldy} apart) += the rows times two vectors of a panel at
     * {@code w[o..]} ({@code stride} floats per input).  The second vector has
     * {@code len} valid lanes; a ragged one goes through {@code t}.
     */
    private static void acc4(float[] x, int x0, int ldx, int in, float[] w, int o, int stride, float[] y, int y0,
                             int ldy, int len, float[] t) {
        final boolean whole = len >= L;
        final float[] d = whole ? y : t;
        final int yl = y0 + L;
        if (!whole) {
            for (int r = 0; r < 4; r++) {
                System.arraycopy(y, yl + r * ldy, t, r * L, len);
            }
        }
        FloatVector a00 = FloatVector.fromArray(S, y, y0);
        FloatVector a10 = FloatVector.fromArray(S, y, y0 + ldy);
        FloatVector a20 = FloatVector.fromArray(S, y, y0 + 2 * ldy);
        FloatVector a30 = FloatVector.fromArray(S, y, y0 + 3 * ldy);
        FloatVector a01 = FloatVector.fromArray(S, d, whole ? yl : 0);
        FloatVector a11 = FloatVector.fromArray(S, d, whole ? yl + ldy : L);
        FloatVector a21 = FloatVector.fromArray(S, d, whole ? yl + 2 * ldy : 2 * L);
        FloatVector a31 = FloatVector.fromArray(S, d, whole ? yl + 3 * ldy : 3 * L);
        for (int k = 0, ok = o; k < in; k++, ok += stride) {
            final FloatVector w0 = FloatVector.fromArray(S, w, ok);
            final FloatVector w1 = FloatVector.fromArray(S, w, ok + L);
            final FloatVector c0 = FloatVector.broadcast(S, x[x0 + k]);
            a00 = w0.fma(c0, a00);
            a01 = w1.fma(c0, a01);
            final FloatVector c1 = FloatVector.broadcast(S, x[x0 + ldx + k]);
            a10 = w0.fma(c1, a10);
            a11 = w1.fma(c1, a11);
            final FloatVector c2 = FloatVector.broadcast(S, x[x0 + 2 * ldx + k]);
            a20 = w0.fma(c2, a20);
            a21 = w1.fma(c2, a21);
            final FloatVector c3 = FloatVector.broadcast(S, x[x0 + 3 * ldx + k]);
            a30 = w0.fma(c3, a30);
            a31 = w1.fma(c3, a31);
        }
        a00.intoArray(y, y0);
        a10.intoArray(y, y0 + ldy);
        a20.intoArray(y, y0 + 2 * ldy);
        a30.intoArray(y, y0 + 3 * ldy);
        a01.intoArray(d, whole ? yl : 0);
        a11.intoArray(d, whole ? yl + ldy : L);
        a21.intoArray(d, whole ? yl + 2 * ldy : 2 * L);
        a31.intoArray(d, whole ? yl + 3 * ldy : 3 * L);
        if (!whole) {
            for (int r = 0; r < 4; r++) {
                System.arraycopy(t, r * L, y, yl + r * ldy, len);
            }
        }
    }

    /**
     * Rows {@code r..r+3} += the rows times a whole wide panel ({@code P} floats per input, four
     * whole vectors): 16 accumulators; every lane is the FMA chain of {@link #acc4}.
     */
    private static void acc44(float[] x, int x0, int ldx, int in, float[] w, float[] y, int y0, int ldy) {
        final int ya = y0;
        final int yb = y0 + ldy;
        final int yc = y0 + 2 * ldy;
        final int yd = y0 + 3 * ldy;
        FloatVector a0 = FloatVector.fromArray(S, y, ya);
        FloatVector a1 = FloatVector.fromArray(S, y, ya + L);
        FloatVector a2 = FloatVector.fromArray(S, y, ya + 2 * L);
        FloatVector a3 = FloatVector.fromArray(S, y, ya + 3 * L);
        FloatVector b0 = FloatVector.fromArray(S, y, yb);
        FloatVector b1 = FloatVector.fromArray(S, y, yb + L);
        FloatVector b2 = FloatVector.fromArray(S, y, yb + 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, y, yb + 3 * L);
        FloatVector c0 = FloatVector.fromArray(S, y, yc);
        FloatVector c1 = FloatVector.fromArray(S, y, yc + L);
        FloatVector c2 = FloatVector.fromArray(S, y, yc + 2 * L);
        FloatVector c3 = FloatVector.fromArray(S, y, yc + 3 * L);
        FloatVector d0 = FloatVector.fromArray(S, y, yd);
        FloatVector d1 = FloatVector.fromArray(S, y, yd + L);
        FloatVector d2 = FloatVector.fromArray(S, y, yd + 2 * L);
        FloatVector d3 = FloatVector.fromArray(S, y, yd + 3 * L);
        for (int k = 0, o = 0; k < in; k++, o += P) {
            final FloatVector w0 = FloatVector.fromArray(S, w, o);
            final FloatVector w1 = FloatVector.fromArray(S, w, o + L);
            final FloatVector w2 = FloatVector.fromArray(S, w, o + 2 * L);
            final FloatVector w3 = FloatVector.fromArray(S, w, o + 3 * L);
            final FloatVector ea = FloatVector.broadcast(S, x[x0 + k]);
            a0 = w0.fma(ea, a0);
            a1 = w1.fma(ea, a1);
            a2 = w2.fma(ea, a2);
            a3 = w3.fma(ea, a3);
            final FloatVector eb = FloatVector.broadcast(S, x[x0 + ldx + k]);
            b0 = w0.fma(eb, b0);
            b1 = w1.fma(eb, b1);
            b2 = w2.fma(eb, b2);
            b3 = w3.fma(eb, b3);
            final FloatVector ec = FloatVector.broadcast(S, x[x0 + 2 * ldx + k]);
            c0 = w0.fma(ec, c0);
            c1 = w1.fma(ec, c1);
            c2 = w2.fma(ec, c2);
            c3 = w3.fma(ec, c3);
            final FloatVector ed = FloatVector.broadcast(S, x[x0 + 3 * ldx + k]);
            d0 = w0.fma(ed, d0);
            d1 = w1.fma(ed, d1);
            d2 = w2.fma(ed, d2);
            d3 = w3.fma(ed, d3);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + L);
        a2.intoArray(y, ya + 2 * L);
        a3.intoArray(y, ya + 3 * L);
        b0.intoArray(y, yb);
        b1.intoArray(y, yb + L);
        b2.intoArray(y, yb + 2 * L);
        b3.intoArray(y, yb + 3 * L);
        c0.intoArray(y, yc);
        c1.intoArray(y, yc + L);
        c2.intoArray(y, yc + 2 * L);
        c3.intoArray(y, yc + 3 * L);
        d0.intoArray(y, yd);
        d1.intoArray(y, yd + L);
        d2.intoArray(y, yd + 2 * L);
        d3.intoArray(y, yd + 3 * L);
    }

    /**
     * Rows {@code r..r+5} += the rows times a whole wide panel: 24 accumulators (6 rows x 4
     * vectors), each weight vector used six times per load; every lane is the FMA chain of
     * {@link #acc4}, so the bits do not depend on the block.  Measured against {@link #acc44}
     * alone (load 0.7-1.1): the runtime's batch-64 recurrent step 127-138 -> 141-147 GFLOP/s
     * (medium) and 109-115 -> 127-131 (large).  Used by the step products ({@link #gemmRows}) and
     * the input projections ({@link #matmul}): batch 64, the medium model 437-456 -> 419-435 us
     * per sequence, the large one 6.8-7.0 -> 6.0-6.4 ms (JDK 25; JDK 17 with the kernels forced:
     * large 7.6-7.8 -> 6.9 with the step products alone in sixes).
     */
    private static void acc64(float[] x, int x0, int ldx, int in, float[] w, float[] y, int y0, int ldy) {
        final int ya = y0;
        final int yb = y0 + ldy;
        final int yc = y0 + 2 * ldy;
        final int yd = y0 + 3 * ldy;
        final int ye = y0 + 4 * ldy;
        final int yf = y0 + 5 * ldy;
        FloatVector a0 = FloatVector.fromArray(S, y, ya);
        FloatVector a1 = FloatVector.fromArray(S, y, ya + L);
        FloatVector a2 = FloatVector.fromArray(S, y, ya + 2 * L);
        FloatVector a3 = FloatVector.fromArray(S, y, ya + 3 * L);
        FloatVector b0 = FloatVector.fromArray(S, y, yb);
        FloatVector b1 = FloatVector.fromArray(S, y, yb + L);
        FloatVector b2 = FloatVector.fromArray(S, y, yb + 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, y, yb + 3 * L);
        FloatVector c0 = FloatVector.fromArray(S, y, yc);
        FloatVector c1 = FloatVector.fromArray(S, y, yc + L);
        FloatVector c2 = FloatVector.fromArray(S, y, yc + 2 * L);
        FloatVector c3 = FloatVector.fromArray(S, y, yc + 3 * L);
        FloatVector d0 = FloatVector.fromArray(S, y, yd);
        FloatVector d1 = FloatVector.fromArray(S, y, yd + L);
        FloatVector d2 = FloatVector.fromArray(S, y, yd + 2 * L);
        FloatVector d3 = FloatVector.fromArray(S, y, yd + 3 * L);
        FloatVector e0 = FloatVector.fromArray(S, y, ye);
        FloatVector e1 = FloatVector.fromArray(S, y, ye + L);
        FloatVector e2 = FloatVector.fromArray(S, y, ye + 2 * L);
        FloatVector e3 = FloatVector.fromArray(S, y, ye + 3 * L);
        FloatVector f0 = FloatVector.fromArray(S, y, yf);
        FloatVector f1 = FloatVector.fromArray(S, y, yf + L);
        FloatVector f2 = FloatVector.fromArray(S, y, yf + 2 * L);
        FloatVector f3 = FloatVector.fromArray(S, y, yf + 3 * L);
        for (int k = 0, o = 0; k < in; k++, o += P) {
            final FloatVector w0 = FloatVector.fromArray(S, w, o);
            final FloatVector w1 = FloatVector.fromArray(S, w, o + L);
            final FloatVector w2 = FloatVector.fromArray(S, w, o + 2 * L);
            final FloatVector w3 = FloatVector.fromArray(S, w, o + 3 * L);
            final FloatVector ea = FloatVector.broadcast(S, x[x0 + k]);
            a0 = w0.fma(ea, a0);
            a1 = w1.fma(ea, a1);
            a2 = w2.fma(ea, a2);
            a3 = w3.fma(ea, a3);
            final FloatVector eb = FloatVector.broadcast(S, x[x0 + ldx + k]);
            b0 = w0.fma(eb, b0);
            b1 = w1.fma(eb, b1);
            b2 = w2.fma(eb, b2);
            b3 = w3.fma(eb, b3);
            final FloatVector ec = FloatVector.broadcast(S, x[x0 + 2 * ldx + k]);
            c0 = w0.fma(ec, c0);
            c1 = w1.fma(ec, c1);
            c2 = w2.fma(ec, c2);
            c3 = w3.fma(ec, c3);
            final FloatVector ed = FloatVector.broadcast(S, x[x0 + 3 * ldx + k]);
            d0 = w0.fma(ed, d0);
            d1 = w1.fma(ed, d1);
            d2 = w2.fma(ed, d2);
            d3 = w3.fma(ed, d3);
            final FloatVector ee = FloatVector.broadcast(S, x[x0 + 4 * ldx + k]);
            e0 = w0.fma(ee, e0);
            e1 = w1.fma(ee, e1);
            e2 = w2.fma(ee, e2);
            e3 = w3.fma(ee, e3);
            final FloatVector ef = FloatVector.broadcast(S, x[x0 + 5 * ldx + k]);
            f0 = w0.fma(ef, f0);
            f1 = w1.fma(ef, f1);
            f2 = w2.fma(ef, f2);
            f3 = w3.fma(ef, f3);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + L);
        a2.intoArray(y, ya + 2 * L);
        a3.intoArray(y, ya + 3 * L);
        b0.intoArray(y, yb);
        b1.intoArray(y, yb + L);
        b2.intoArray(y, yb + 2 * L);
        b3.intoArray(y, yb + 3 * L);
        c0.intoArray(y, yc);
        c1.intoArray(y, yc + L);
        c2.intoArray(y, yc + 2 * L);
        c3.intoArray(y, yc + 3 * L);
        d0.intoArray(y, yd);
        d1.intoArray(y, yd + L);
        d2.intoArray(y, yd + 2 * L);
        d3.intoArray(y, yd + 3 * L);
        e0.intoArray(y, ye);
        e1.intoArray(y, ye + L);
        e2.intoArray(y, ye + 2 * L);
        e3.intoArray(y, ye + 3 * L);
        f0.intoArray(y, yf);
        f1.intoArray(y, yf + L);
        f2.intoArray(y, yf + 2 * L);
        f3.intoArray(y, yf + 3 * L);
    }

    /** One row: as {@link #acc4}. */
    private static void acc1(float[] x, int x0, int in, float[] w, int o, int stride, float[] y, int y0, int len,
                             float[] t) {
        final boolean whole = len >= L;
        final float[] d = whole ? y : t;
        final int d1 = whole ? y0 + L : 0;
        if (!whole) {
            System.arraycopy(y, y0 + L, t, 0, len);
        }
        FloatVector a0 = FloatVector.fromArray(S, y, y0);
        FloatVector a1 = FloatVector.fromArray(S, d, d1);
        for (int k = 0, ok = o; k < in; k++, ok += stride) {
            final FloatVector c0 = FloatVector.broadcast(S, x[x0 + k]);
            a0 = FloatVector.fromArray(S, w, ok).fma(c0, a0);
            a1 = FloatVector.fromArray(S, w, ok + L).fma(c0, a1);
        }
        a0.intoArray(y, y0);
        a1.intoArray(d, d1);
        if (!whole) {
            System.arraycopy(t, 0, y, y0 + L, len);
        }
    }

    /** Rows {@code r..r+3} += the rows times a one-vector panel ({@code L} floats per input); {@code len} valid lanes. */
    private static void nacc4(float[] x, int x0, int ldx, int in, float[] w, float[] y, int y0, int ldy, int len,
                              float[] t) {
        final boolean whole = len >= L;
        final float[] d = whole ? y : t;
        if (!whole) {
            for (int r = 0; r < 4; r++) {
                System.arraycopy(y, y0 + r * ldy, t, r * L, len);
            }
        }
        FloatVector a0 = FloatVector.fromArray(S, d, whole ? y0 : 0);
        FloatVector a1 = FloatVector.fromArray(S, d, whole ? y0 + ldy : L);
        FloatVector a2 = FloatVector.fromArray(S, d, whole ? y0 + 2 * ldy : 2 * L);
        FloatVector a3 = FloatVector.fromArray(S, d, whole ? y0 + 3 * ldy : 3 * L);
        for (int k = 0, ok = 0; k < in; k++, ok += L) {
            final FloatVector wv = FloatVector.fromArray(S, w, ok);
            a0 = wv.fma(FloatVector.broadcast(S, x[x0 + k]), a0);
            a1 = wv.fma(FloatVector.broadcast(S, x[x0 + ldx + k]), a1);
            a2 = wv.fma(FloatVector.broadcast(S, x[x0 + 2 * ldx + k]), a2);
            a3 = wv.fma(FloatVector.broadcast(S, x[x0 + 3 * ldx + k]), a3);
        }
        a0.intoArray(d, whole ? y0 : 0);
        a1.intoArray(d, whole ? y0 + ldy : L);
        a2.intoArray(d, whole ? y0 + 2 * ldy : 2 * L);
        a3.intoArray(d, whole ? y0 + 3 * ldy : 3 * L);
        if (!whole) {
            for (int r = 0; r < 4; r++) {
                System.arraycopy(t, r * L, y, y0 + r * ldy, len);
            }
        }
    }

    /** One row: as {@link #nacc4}. */
    private static void nacc1(float[] x, int x0, int in, float[] w, float[] y, int y0, int len, float[] t) {
        final boolean whole = len >= L;
        final float[] d = whole ? y : t;
        final int d0 = whole ? y0 : 0;
        if (!whole) {
            System.arraycopy(y, y0, t, 0, len);
        }
        FloatVector a0 = FloatVector.fromArray(S, d, d0);
        for (int k = 0, ok = 0; k < in; k++, ok += L) {
            a0 = FloatVector.fromArray(S, w, ok).fma(FloatVector.broadcast(S, x[x0 + k]), a0);
        }
        a0.intoArray(d, d0);
        if (!whole) {
            System.arraycopy(t, 0, y, y0, len);
        }
    }

    // ---------------------------------------------------------------- activations

    /**
     * {@code dst[d..d+L) = post * tanh(pre * src[s..s+L)) + off}, lane by lane with
     * the interpolant of {@link Activation#tanh} in fused multiply-adds (as
     * {@link FmaKernels#tanh}): tanh is {@code (1, 1, -0)} (the multiplication by 1
     * and the addition of -0 are exact identities), sigmoid {@code (0.5, 0.5, 0.5)}
     * as {@link Activation#sigmoid}.  The clamp to [-9, 9] is a compare and a
     * blend, not min and max (which carry Java's NaN and -0 rules: measured, the
     * LSTM gates 30% slower); NaN compares false and stays NaN.
     */
    private static void act(float[] src, int s, float[] dst, int d, float pre, float post, float off) {
        final FloatVector x = FloatVector.fromArray(S, src, s).mul(pre);
        final FloatVector hi = x.blend(9f, x.compare(VectorOperators.GT, 9f));
        final FloatVector c = hi.blend(-9f, hi.compare(VectorOperators.LT, -9f));
        final FloatVector x2 = c.mul(c);
        FloatVector p = x2.fma(Activation.TANH_P0, Activation.TANH_P1);
        p = p.fma(x2, FloatVector.broadcast(S, Activation.TANH_P2));
        p = p.fma(x2, FloatVector.broadcast(S, Activation.TANH_P3));
        p = p.fma(x2, FloatVector.broadcast(S, Activation.TANH_P4));
        p = p.fma(x2, FloatVector.broadcast(S, Activation.TANH_P5));
        p = p.fma(x2, FloatVector.broadcast(S, Activation.TANH_P6));
        FloatVector q = x2.fma(Activation.TANH_Q0, Activation.TANH_Q1);
        q = q.fma(x2, FloatVector.broadcast(S, Activation.TANH_Q2));
        q = q.fma(x2, FloatVector.broadcast(S, Activation.TANH_Q3));
        p.mul(c).div(q).fma(post, off).intoArray(dst, d);
    }

    /**
     * Always: the patch gather cost more than the product for few channels (measured: 3-channel
     * 3x3 convolution, cnn_lstm), and the kernel rows' products run at the GEMM's speed.  A
     * convolution of {@link #NARROW_T} filters or fewer also keeps its kernel transposed for a 2 x 2
     * max pooling after it ({@link #transposesPatches}).
     */
    @Override
    boolean multipliesInPlace() {
        return true;
    }

    /** Columns at most of a convolution's product through {@link #matmulTransposed}. */
    static final int NARROW_T = 32;

    /**
     * Only for a convolution merged with its 2 x 2 max pooling ({@link Conv2D#forwardPooled}), which
     * gathers its patches from phase planes: the windows' four outputs come out of four products,
     * and no full-size map is written and read back.  Measured (the cnn_lstm layers, JDK 25, one JVM
     * each, load 1.0, GFLOP/s), in place then pooled against this: 64 x 64 x 3 -> 16 with its
     * pooling 51 -> 97, 32 x 32 x 16 -> 32 103 -> 123; the whole model 0.91x and then 0.94x the time
     * (16 filters, then 32; 6 alternating pairs).  With 64 filters the model was 1.11x slower, and a
     * convolution without pooling 10-15% slower this way (59 -> 51, 109 -> 100: the channels-last
     * scatter), as is a Dense (the rows' transposition: 3x slower), so neither takes it.
     */
    @Override
    boolean transposesPatches(int rows, int in, int out) {
        return out <= NARROW_T && rows >= 32;
    }

    /** Per-thread output planes of {@link #matmulTransposed} where the outputs go out as rows. */
    private static final ThreadLocal<float[]> T_OUT = ThreadLocal.withInitial(() -> new float[NARROW_T * T_ROWS]);

    /**
     * Four columns at a time ({@link #cols4}: four columns by four vectors of rows, 16
     * accumulators in registers, each transposed row loaded once for the four), then one at a
     * time; into the planes, or into per-thread planes then scattered into rows.  Every output
     * starts at the bias and adds its inputs in order with fused multiply-adds, as the rows'
     * products do.
     */
    @Override
    void matmulTransposed(float[][] t, int n, int in, float[] wT, float[] bias, int out, float[] y, int yOff,
                          int plane, int j0, int j1) {
        final boolean planes = plane > 0;
        final float[] dst = planes ? y : planeBuffer(out * n);
        final int base = planes ? yOff : 0;
        final int ld = planes ? plane : n;
        int j = j0;
        for (; j + 3 < j1; j += 4) {
            cols4(t, n, in, wT, j * in, bias, j, dst, base + j * ld, ld);
        }
        for (; j < j1; j++) {
            cols1(t, n, in, wT, j * in, bias[j], dst, base + j * ld);
        }
        if (!planes) {
            for (int c = j0; c < j1; c++) {
                final int s = c * n;
                for (int p = 0; p < n; p++) {
                    y[yOff + p * out + c] = dst[s + p];
                }
            }
        }
    }

    private static float[] planeBuffer(int n) {
        float[] b = T_OUT.get();
        if (b.length < n) {
            b = new float[n];
            T_OUT.set(b);
        }
        return b;
    }

    /**
     * Columns j .. j+3 of {@link #matmulTransposed} over rows [0, n): their weights at
     * {@code wT[w0 ..]} ({@code in} apart), outputs at {@code y[y0 ..]} ({@code ld} apart).
     */
    private static void cols4(float[][] t, int n, int in, float[] wT, int w0, float[] bias, int j, float[] y,
                              int y0, int ld) {
        final int wb = w0 + in;
        final int wc = wb + in;
        final int wd = wc + in;
        final int yb = y0 + ld;
        final int yc = yb + ld;
        final int yd = yc + ld;
        final float ba = bias[j];
        final float bb = bias[j + 1];
        final float bc = bias[j + 2];
        final float bd = bias[j + 3];
        int p = 0;
        for (; p + 4 * L <= n; p += 4 * L) {
            FloatVector a0 = FloatVector.broadcast(S, ba);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = FloatVector.broadcast(S, bb);
            FloatVector b1 = b0;
            FloatVector b2 = b0;
            FloatVector b3 = b0;
            FloatVector c0 = FloatVector.broadcast(S, bc);
            FloatVector c1 = c0;
            FloatVector c2 = c0;
            FloatVector c3 = c0;
            FloatVector d0 = FloatVector.broadcast(S, bd);
            FloatVector d1 = d0;
            FloatVector d2 = d0;
            FloatVector d3 = d0;
            for (int k = 0; k < in; k++) {
                final float[] tk = t[k];
                final FloatVector x0 = FloatVector.fromArray(S, tk, p);
                final FloatVector x1 = FloatVector.fromArray(S, tk, p + L);
                final FloatVector x2 = FloatVector.fromArray(S, tk, p + 2 * L);
                final FloatVector x3 = FloatVector.fromArray(S, tk, p + 3 * L);
                final FloatVector va = FloatVector.broadcast(S, wT[w0 + k]);
                a0 = x0.fma(va, a0);
                a1 = x1.fma(va, a1);
                a2 = x2.fma(va, a2);
                a3 = x3.fma(va, a3);
                final FloatVector vb = FloatVector.broadcast(S, wT[wb + k]);
                b0 = x0.fma(vb, b0);
                b1 = x1.fma(vb, b1);
                b2 = x2.fma(vb, b2);
                b3 = x3.fma(vb, b3);
                final FloatVector vc = FloatVector.broadcast(S, wT[wc + k]);
                c0 = x0.fma(vc, c0);
                c1 = x1.fma(vc, c1);
                c2 = x2.fma(vc, c2);
                c3 = x3.fma(vc, c3);
                final FloatVector vd = FloatVector.broadcast(S, wT[wd + k]);
                d0 = x0.fma(vd, d0);
                d1 = x1.fma(vd, d1);
                d2 = x2.fma(vd, d2);
                d3 = x3.fma(vd, d3);
            }
            a0.intoArray(y, y0 + p);
            a1.intoArray(y, y0 + p + L);
            a2.intoArray(y, y0 + p + 2 * L);
            a3.intoArray(y, y0 + p + 3 * L);
            b0.intoArray(y, yb + p);
            b1.intoArray(y, yb + p + L);
            b2.intoArray(y, yb + p + 2 * L);
            b3.intoArray(y, yb + p + 3 * L);
            c0.intoArray(y, yc + p);
            c1.intoArray(y, yc + p + L);
            c2.intoArray(y, yc + p + 2 * L);
            c3.intoArray(y, yc + p + 3 * L);
            d0.intoArray(y, yd + p);
            d1.intoArray(y, yd + p + L);
            d2.intoArray(y, yd + p + 2 * L);
            d3.intoArray(y, yd + p + 3 * L);
        }
        for (; p + L <= n; p += L) {
            FloatVector a0 = FloatVector.broadcast(S, ba);
            FloatVector b0 = FloatVector.broadcast(S, bb);
            FloatVector c0 = FloatVector.broadcast(S, bc);
            FloatVector d0 = FloatVector.broadcast(S, bd);
            for (int k = 0; k < in; k++) {
                final FloatVector x0 = FloatVector.fromArray(S, t[k], p);
                a0 = x0.fma(FloatVector.broadcast(S, wT[w0 + k]), a0);
                b0 = x0.fma(FloatVector.broadcast(S, wT[wb + k]), b0);
                c0 = x0.fma(FloatVector.broadcast(S, wT[wc + k]), c0);
                d0 = x0.fma(FloatVector.broadcast(S, wT[wd + k]), d0);
            }
            a0.intoArray(y, y0 + p);
            b0.intoArray(y, yb + p);
            c0.intoArray(y, yc + p);
            d0.intoArray(y, yd + p);
        }
        for (; p < n; p++) {
            float sa = ba;
            float sb = bb;
            float sc = bc;
            float sd = bd;
            for (int k = 0; k < in; k++) {
                final float x = t[k][p];
                sa = Math.fma(x, wT[w0 + k], sa);
                sb = Math.fma(x, wT[wb + k], sb);
                sc = Math.fma(x, wT[wc + k], sc);
                sd = Math.fma(x, wT[wd + k], sd);
            }
            y[y0 + p] = sa;
            y[yb + p] = sb;
            y[yc + p] = sc;
            y[yd + p] = sd;
        }
    }

    /** One column of {@link #matmulTransposed}: weights at {@code wT[w0 ..]}, outputs at {@code y[y0 ..]}. */
    private static void cols1(float[][] t, int n, int in, float[] wT, int w0, float bias, float[] y, int y0) {
        int p = 0;
        for (; p + 4 * L <= n; p += 4 * L) {
            FloatVector a0 = FloatVector.broadcast(S, bias);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int k = 0; k < in; k++) {
                final float[] tk = t[k];
                final FloatVector v = FloatVector.broadcast(S, wT[w0 + k]);
                a0 = FloatVector.fromArray(S, tk, p).fma(v, a0);
                a1 = FloatVector.fromArray(S, tk, p + L).fma(v, a1);
                a2 = FloatVector.fromArray(S, tk, p + 2 * L).fma(v, a2);
                a3 = FloatVector.fromArray(S, tk, p + 3 * L).fma(v, a3);
            }
            a0.intoArray(y, y0 + p);
            a1.intoArray(y, y0 + p + L);
            a2.intoArray(y, y0 + p + 2 * L);
            a3.intoArray(y, y0 + p + 3 * L);
        }
        for (; p + L <= n; p += L) {
            FloatVector a0 = FloatVector.broadcast(S, bias);
            for (int k = 0; k < in; k++) {
                a0 = FloatVector.fromArray(S, t[k], p).fma(FloatVector.broadcast(S, wT[w0 + k]), a0);
            }
            a0.intoArray(y, y0 + p);
        }
        for (; p < n; p++) {
            float s = bias;
            for (int k = 0; k < in; k++) {
                s = Math.fma(t[k][p], wT[w0 + k], s);
            }
            y[y0 + p] = s;
        }
    }

    /**
     * {@link Kernels#relu} by compare and blend: 0 where {@code x <= 0} (-0 included), the cap where
     * {@code x > maxValue}, else x (NaN compares false and stays NaN): the values of {@link Kernels#relu}.
     */
    @Override
    void relu(float[] a, int off, int len, float maxValue) {
        final FloatVector zero = FloatVector.zero(S);
        final boolean capped = maxValue != Float.POSITIVE_INFINITY;
        final int vb = off + S.loopBound(len);
        int i = off;
        for (; i < vb; i += L) {
            FloatVector v = FloatVector.fromArray(S, a, i);
            if (capped) {
                v = v.blend(maxValue, v.compare(VectorOperators.GT, maxValue));
            }
            v.blend(zero, v.compare(VectorOperators.LE, 0f)).intoArray(a, i);
        }
        super.relu(a, i, off + len - i, maxValue);
    }

    @Override
    void tanh(float[] a, int off, int len) {
        map(a, off, len, 1f, 1f, -0f);
    }

    @Override
    void sigmoid(float[] a, int off, int len) {
        map(a, off, len, 0.5f, 0.5f, 0.5f);
    }

    private static void map(float[] a, int off, int len, float pre, float post, float add) {
        final int vb = off + S.loopBound(len);
        final int end = off + len;
        int i = off;
        for (; i < vb; i += L) {
            act(a, i, a, i, pre, post, add);
        }
        if (i < end) {
            final float[] t = TAIL.get();
            System.arraycopy(a, i, t, 0, end - i);
            act(t, 0, t, 0, pre, post, add);
            System.arraycopy(t, 0, a, i, end - i);
        }
    }

    /**
     * The LSTM update as {@link PortableKernels#lstmGates}: {@code c = f c + i g},
     * {@code h = o tanh(c)}.  The activated gates are written over the gate
     * pre-activations in {@code p} (workspace the cell does not read again).
     */
    @Override
    void lstmGates(float[] p, int z, float[] st, int hOff, int u) {
        final int cOff = hOff + u;
        final int jv = S.loopBound(u);
        int j = 0;
        for (; j < jv; j += L) {
            lstm(p, z + j, u, st, hOff + j, cOff + j, st, hOff + j, cOff + j);
        }
        if (j < u) {
            // The last u % L elements, through a buffer: nothing past the rows is touched.
            final int len = u - j;
            final float[] t = TAIL.get();
            for (int g = 0; g < 4; g++) {
                System.arraycopy(p, z + g * u + j, t, g * L, len);
            }
            System.arraycopy(st, cOff + j, t, 4 * L, len);
            lstm(t, 0, L, t, 5 * L, 4 * L, t, 5 * L, 6 * L);
            System.arraycopy(t, 5 * L, st, hOff + j, len);
            System.arraycopy(t, 6 * L, st, cOff + j, len);
        }
    }

    /**
     * One vector of the LSTM update: gates at {@code g[gi + k * gs]} (i, f, c, o),
     * old cell state at {@code s[c0]}; writes the new state to {@code s[c1]} and h
     * to {@code s[h1]}, using {@code s[tmp]} as room for tanh(c).
     */
    private static void lstm(float[] g, int gi, int gs, float[] s, int tmp, int c0, float[] s1, int h1, int c1) {
        act(g, gi, g, gi, 1f, 0.5f, 0.5f);                        // i (given as x / 2)
        act(g, gi + gs, g, gi + gs, 1f, 0.5f, 0.5f);              // f (given as x / 2)
        act(g, gi + 2 * gs, g, gi + 2 * gs, 1f, 1f, -0f);         // g (candidate)
        act(g, gi + 3 * gs, g, gi + 3 * gs, 1f, 0.5f, 0.5f);      // o (given as x / 2)
        final FloatVector c = FloatVector.fromArray(S, g, gi + gs).mul(FloatVector.fromArray(S, s, c0))
                .add(FloatVector.fromArray(S, g, gi).mul(FloatVector.fromArray(S, g, gi + 2 * gs)));
        c.intoArray(s1, c1);
        act(s1, c1, s, tmp, 1f, 1f, -0f);                        // tanh(c)
        FloatVector.fromArray(S, g, gi + 3 * gs).mul(FloatVector.fromArray(S, s, tmp)).intoArray(s1, h1);
    }
}
