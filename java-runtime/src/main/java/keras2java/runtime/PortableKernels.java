package keras2java.runtime;

/**
 * {@link Kernels} in plain Java 8, the default.
 *
 * <p>HotSpot's C2 only vectorizes a loop when every array access uses the same
 * index expression (it cannot rule out that two float[] references alias), and
 * only while the loop body stays small (JDK 17 gives up on loops of more than
 * about 14 operations; JDK 25 allows more).  So a matrix is held as one array
 * per input row, the products accumulate in per-thread arrays indexed like the
 * rows, and every inner loop below is one of three shapes that both JDKs
 * vectorize: a single row adding four inputs per pass
 * ({@code y[j] = (((y[j] + a0 w0[j]) + a1 w1[j]) + a2 w2[j]) + a3 w3[j]}),
 * and two or three rows adding two inputs per pass (four or six multiply-adds
 * per weight load pair).  {@code FmaKernels} (Java 9+ source) overrides the
 * loops with {@code Math.fma}.
 *
 * <p>Every output adds the products one input at a time, in input order, in
 * every path, so a row's result never depends on the rows computed with it or
 * on the blocks a pass covers: a batch gives each sample the bits of a batch of
 * one.  A batch (two rows or more) goes over the weights in blocks of at most
 * 512 columns and 512 KiB, each block staying in L2 while all rows pass over
 * it; a single row (batch 1, the recurrent step of one sequence) streams its
 * whole rows, the loops as long as the matrix is wide (cutting them into short
 * column blocks made the large benchmark model's batch 1 about 1.3x slower).
 */
class PortableKernels extends Kernels {
    /** Per-thread accumulators: up to four rows of a matrix product (no allocation per call in steady state). */
    private static final ThreadLocal<float[][]> ACC = new ThreadLocal<float[][]>();

    @Override
    String describe() {
        return "portable Java";
    }

    /**
     * This thread's four accumulator rows of at least {@code out} floats.  They are allocated one
     * after the other, so each row starts {@code 16 + 4 * length} bytes after the one before (the
     * array header, then the floats); each row is made long enough that this distance is 1 KiB
     * modulo 4 KiB.  With rows of exactly {@code out} floats, a row of 2048 lay 16 bytes (modulo
     * 4 KiB) from the next, so a vector load of one row could falsely wait on the store just made to
     * the other (4K aliasing), and rows of 512 lay 32 bytes from the row after next.  Which
     * placements were slow depended on where the heap put the rows, so it changed with JVM starts
     * and full GCs.  Measured (the runtime's Linear on 64 rows, JDK 25 {@code Math.fma}, fresh JVMs
     * and full GCs, load 0.7-0.8): 512 x 2048, rows of exactly {@code out} floats 2-3x slower in 29
     * of 286 timings (median 61-64 GFLOP/s), these rows in none (median 67); 256 x 512, median 75
     * -> 88.  The medium benchmark model at batch 64 on JDK 17: 957-975 -> 820-830 us per sequence.
     */
    static float[][] acc(int out) {
        float[][] a = ACC.get();
        if (a == null || a[0].length < out) {
            a = rows(4, out);
            ACC.set(a);
        }
        return a;
    }

    /** {@code count} rows of at least {@code len} floats, allocated 1 KiB apart modulo 4 KiB (see {@link #acc}). */
    private static float[][] rows(int count, int len) {
        final int padded = len + (((1024 - 16 - 4 * len) % 4096 + 4096) % 4096) / 4;
        final float[][] a = new float[count][];
        for (int q = 0; q < count; q++) {
            a[q] = new float[padded];
        }
        return a;
    }

    /**
     * Weights per block at most (512 KiB): a block stays in L2 while every row passes over it, and
     * each pass of four (or three) rows adds that many inputs before it stores its accumulator rows
     * again.  Against 256 KiB (measured, alternating, load 1.1-1.5): the large benchmark model's
     * recurrent step at batch 64 (512 x 2048, 64 inputs per block instead of 32) 56.8 -> 64.2
     * GFLOP/s on JDK 25 and 55.0 -> 60.0 on JDK 17, the model 11.7 -> 10.3-11.0 ms per sequence on
     * JDK 25 and 12.9-13.1 -> 12.1-12.9 on JDK 17; 1 MiB gained no more (64.1 and 61.4).
     */
    private static final int BLOCK_FLOATS = 128 * 1024;

    /** Columns per block: long inner loops (C2's vector loops pay a fixed cost per pass). */
    private static final int BLOCK_COLUMNS = 512;

    /**
     * Inputs per block of {@code cb} columns: a multiple of 12 (whole passes of two, three and four
     * inputs), at least 24, {@link #BLOCK_FLOATS} weights at most.
     */
    static int inputBlock(int cb) {
        final int kc = BLOCK_FLOATS / Math.max(1, cb);
        return Math.max(24, kc - kc % 12);
    }

    /** At most this many columns go through {@link #matmulT} (wider rows vectorize well as they are). */
    static final int NARROW = 64;




    /**
     * Inputs per block of {@link #matmulTransposed} without {@link #transposedQuads}: every column
     * passes over the block's transposed rows while they are near.  A multiple of 2, 3 and 4 (whole
     * passes of {@link #triple} and {@link #quad}).  Measured on cnn_lstm (whole processes, 6
     * alternating pairs, load 0.8-1.2), with {@link #triple} taking three inputs per pass on JDK 17:
     * 144 against 18, 4.8% faster with {@code Math.fma} and 5.1% with the portable loops; against 288
     * (no blocks for its three layers), 4% faster; 36 and 72 in between.
     */
    private static final int T_BLOCK = 144;

    /** Per-thread accumulator rows of {@link #matmulTransposed}: one per column, {@link #T_ROWS} floats each. */
    private static final ThreadLocal<float[][]> T_ACC = new ThreadLocal<float[][]>();

    /** Per-thread views of up to four of {@link #T_ACC}'s rows (the accumulators {@link #quad} and {@link #triple} take). */
    private static final ThreadLocal<float[][]> T_COLS = new ThreadLocal<float[][]>() {
        @Override
        protected float[][] initialValue() {
            return new float[4][];
        }
    };

    @Override
    boolean transposes(int rows, int in, int out) {
        return out <= NARROW && rows >= 32;
    }

    /**
     * Every column's accumulator row, then the outputs written out in one pass over them.  Four
     * columns per pass where {@link #quads} ({@code Math.fma} from JDK 25), else three
     * ({@link #triple}; with {@code Math.fma} before JDK 25, one or two quads first,
     * {@link #quadsBeforeTriples}), a pair or a single for the last columns, two pairs where four
     * are left (a single over a 3 x 3 convolution's 27 inputs cost as much as two pairs: cnn_lstm
     * portable, whole process, 3% faster with this and {@link Activation#commutesWithMax}).
     * Where {@link #transposedQuads} (JDK 25) each pass
     * goes over all the transposed rows; else over {@link #T_BLOCK} rows at a time, every column's
     * accumulator row kept until the last block: the block's rows are read from near caches by
     * each pass instead of the whole matrix from L2 (a 3 x 3 convolution over 32 channels has 288
     * rows).  Each output still adds its inputs in order, so the bits do not change.  Measured (the
     * roofline's three cnn_lstm Conv2D layers, JDK 17 {@code Math.fma}, 3 fresh JVMs each,
     * alternating, load 1.3-1.7): 29.9-30.6 / 40.9-42.6 / 45.2-47.5 -> 32.6-34.3 / 43.4-47.5 /
     * 49.9-53.2 GFLOP/s; the portable tier 0-8% faster.  With {@link #quad} the blocks made JDK 25
     * 0-8% slower (four inputs per pass already load each row a quarter as often).  Four columns
     * per pass against three, JDK 17 {@code Math.fma} (the same layers, 4 fresh JVMs each,
     * alternating, load 1.3-1.4): 48.1-48.5 / 70.2-70.7 / 79.2-79.5 -> 50.5-51.5 / 74.6-77.4 /
     * 83.5-85.0 GFLOP/s.  Channels-last outputs go out eight columns per pass ({@link #scatter8}),
     * each pixel's 32 bytes in one go; JDK 25 wrote each quad's four columns as it finished them,
     * a pass over every output row per quad.  Measured against that (the three layers alone, 2
     * runs each, load 0.6-1.2, microseconds per image): JDK 25 61.4-62.2 -> 53.0-53.9, 84.7-89.2
     * -> 81.1-81.5, 96.4-97.0 -> 93.1-95.4; JDK 17 within 5%; sixteen columns per pass no faster.
     * Channel planes on JDK 25 keep four columns per pass, each written as it ends ({@link #planesQuads}).
     */
    @Override
    final void matmulTransposed(float[][] t, int n, int in, float[] wT, float[] bias, int out, float[] y, int yOff,
                                int plane, int j0, int j1) {
        if (plane > 0 && transposedQuads()) {
            planesQuads(t, n, in, wT, bias, y, yOff, plane, j0, j1);
            return;
        }
        float[][] acc = T_ACC.get();
        if (acc == null || acc.length < out) {
            acc = rows(Math.max(out, NARROW), T_ROWS);
            T_ACC.set(acc);
        }
        for (int j = j0; j < j1; j++) {
            java.util.Arrays.fill(acc[j], 0, n, bias[j]);
        }
        final float[][] cols = T_COLS.get();
        final int block = transposedQuads() ? in : T_BLOCK;
        for (int k0 = 0; k0 < in; k0 += block) {
            final int k1 = Math.min(in, k0 + block);
            int j = j0;
            for (int q = quads() ? Integer.MAX_VALUE : quadsBeforeTriples(j1 - j0); q > 0 && j + 3 < j1; q--, j += 4) {
                cols[0] = acc[j];
                cols[1] = acc[j + 1];
                cols[2] = acc[j + 2];
                cols[3] = acc[j + 3];
                quad(wT, j * in, in, k0, k1, t, cols, n);
            }
            for (; j + 2 < j1 && j1 - j != 4; j += 3) {
                cols[0] = acc[j];
                cols[1] = acc[j + 1];
                cols[2] = acc[j + 2];
                triple(wT, j * in, in, k0, k1, t, cols, n);
            }
            for (; j + 1 < j1; j += 2) {
                cols[0] = acc[j];
                cols[1] = acc[j + 1];
                pair(wT, j * in, (j + 1) * in, k0, k1, t, cols, 0, n);
            }
            if (j < j1) {
                cols[0] = acc[j];
                single(wT, j * in, k0, k1, t, cols, 0, n);
            }
        }
        if (plane > 0) {
            for (int j = j0; j < j1; j++) {
                System.arraycopy(acc[j], 0, y, yOff + j * plane, n);
            }
            return;
        }
        int j = j0;
        for (; j + 7 < j1; j += 8) {
            scatter8(acc, j, n, y, yOff + j, out);
        }
        for (; j + 3 < j1; j += 4) {
            scatter4(acc[j], acc[j + 1], acc[j + 2], acc[j + 3], n, y, yOff + j, out);
        }
        for (; j < j1; j++) {
            final float[] ya = acc[j];
            for (int p = 0; p < n; p++) {
                y[yOff + j + p * out] = ya[p];
            }
        }
    }

    /**
     * {@link #matmulTransposed} into channel planes where {@link #transposedQuads} (JDK 25): four
     * columns per pass over all the transposed rows into four accumulator rows, each copied to its
     * plane as the pass ends (against every column's row first: the three cnn_lstm layers with
     * planes out 26.1-27.0 / 51.6-52.1 / 75.3-77.6 against 29.0-29.3 / 53.3-53.5 / 75.3-77.3
     * microseconds per image, 2 runs, load 1.1).
     */
    private void planesQuads(float[][] t, int n, int in, float[] wT, float[] bias, float[] y, int yOff, int plane,
                             int j0, int j1) {
        final float[][] acc = acc(T_ROWS);
        int j = j0;
        for (; j + 3 < j1; j += 4) {
            for (int q = 0; q < 4; q++) {
                java.util.Arrays.fill(acc[q], 0, n, bias[j + q]);
            }
            quad(wT, j * in, in, 0, in, t, acc, n);
            for (int q = 0; q < 4; q++) {
                System.arraycopy(acc[q], 0, y, yOff + (j + q) * plane, n);
            }
        }
        for (; j + 1 < j1; j += 2) {
            java.util.Arrays.fill(acc[0], 0, n, bias[j]);
            java.util.Arrays.fill(acc[1], 0, n, bias[j + 1]);
            pair(wT, j * in, (j + 1) * in, 0, in, t, acc, 0, n);
            System.arraycopy(acc[0], 0, y, yOff + j * plane, n);
            System.arraycopy(acc[1], 0, y, yOff + (j + 1) * plane, n);
        }
        if (j < j1) {
            java.util.Arrays.fill(acc[0], 0, n, bias[j]);
            single(wT, j * in, 0, in, t, acc, 0, n);
            System.arraycopy(acc[0], 0, y, yOff + j * plane, n);
        }
    }

    /**
     * Accumulator rows {@code j .. j + 7} ({@code n} rows of the product each) into their eight
     * columns of the rows of {@code y} ({@code out} floats apart, from {@code yOff}), as
     * {@link #scatter4}.
     */
    private static void scatter8(float[][] acc, int j, int n, float[] y, int yOff, int out) {
        final float[] a0 = acc[j];
        final float[] a1 = acc[j + 1];
        final float[] a2 = acc[j + 2];
        final float[] a3 = acc[j + 3];
        final float[] a4 = acc[j + 4];
        final float[] a5 = acc[j + 5];
        final float[] a6 = acc[j + 6];
        final float[] a7 = acc[j + 7];
        for (int p = 0; p < n; p++) {
            final int o = yOff + p * out;
            y[o] = a0[p];
            y[o + 1] = a1[p];
            y[o + 2] = a2[p];
            y[o + 3] = a3[p];
            y[o + 4] = a4[p];
            y[o + 5] = a5[p];
            y[o + 6] = a6[p];
            y[o + 7] = a7[p];
        }
    }

    /**
     * Four accumulator rows ({@code n} rows of the product each) into their four columns of the
     * rows of {@code y} ({@code out} floats apart, from {@code yOff}).  Each index is computed from
     * p, the loop's one induction variable (not a second one stepped by out): measured, cnn_lstm on
     * JDK 25 3-4% faster in 5 of 6 alternating pairs (8.2-9.2 against 8.6-9.4 ms, load 0.8-1.0);
     * JDK 17 unchanged.
     */
    private static void scatter4(float[] ya, float[] yb, float[] yc, float[] yd, int n, float[] y, int yOff,
                                 int out) {
        for (int p = 0; p < n; p++) {
            final int o = yOff + p * out;
            y[o] = ya[p];
            y[o + 1] = yb[p];
            y[o + 2] = yc[p];
            y[o + 3] = yd[p];
        }
    }

    /** Row arrays: {@code w[k]} is input k's row of {@code out} weights. */
    @Override
    float[][] pack(float[] data, int off, int ld, int n, int out) {
        final float[][] w = new float[n][];
        for (int k = 0; k < n; k++) {
            w[k] = java.util.Arrays.copyOfRange(data, off + k * ld, off + k * ld + out);
        }
        return w;
    }

    @Override
    float[] packBias(float[] data, int off, int out) {
        return off < 0 ? new float[out] : java.util.Arrays.copyOfRange(data, off, off + out);
    }

    /** Every row starts at the bias, then {@link #gemmAcc}. */
    @Override
    final void matmul(float[] x, int xOff, int rows, int in, float[][] w, float[] bias, int out, float[] y,
                      int yOff) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(bias, 0, y, yOff + r * out, out);
        }
        gemmAcc(x, xOff, in, rows, in, w, out, y, yOff, out);
    }

    /**
     * Two rows or more (one row: {@link #rowColumns}, its whole rows at once): block by
     * block of at most {@link #BLOCK_COLUMNS} columns and {@link #inputBlock} inputs, inputs in
     * order within each column block, pairs of rows sharing each pass over the block's weights
     * ({@link #pair}; threes ({@link #triple}) in one block of whole rows up to 2048 columns, fours
     * where {@link #quads}), a last odd row alone (two pairs instead of a triple and a single,
     * as {@link #matmulTransposed} takes its columns, were no faster on the medium model's
     * batch of 64: 491-499 against 481-499 us, JDK 17, 3 alternating runs, load 1.5-2.7).  Splitting the inputs keeps each output's sum in
     * input order, so the bits do not depend on the blocks.
     */
    @Override
    final void gemmRows(float[] x, int xOff, int ldx, int rows, int in, float[][] w, int out, float[] y,
                        int yOff, int ldy) {
        final float[][] acc = acc(out);
        final float[] y0 = acc[0];
        final float[] y1 = acc[1];
        // with quad or triple rows: one column block (their loops start at column 0: the only shape
        // JDK 25 vectorizes for quad, 10% faster than a variable start for triple on JDK 17), up to
        // 2048 columns (four accumulator rows of 8 KiB)
        final boolean quads = quads() && rows >= 4 && out <= 4 * BLOCK_COLUMNS;
        final boolean triples = !quads && rows >= 3 && out <= 4 * BLOCK_COLUMNS;
        final int fours = quads ? Integer.MAX_VALUE : triples ? quadsBeforeTriples(rows) : 0;
        final int cb = quads || triples ? out : Math.min(out, BLOCK_COLUMNS);
        final int kc = inputBlock(cb);
        for (int j0 = 0; j0 < out; j0 += cb) {
            final int j1 = Math.min(out, j0 + cb);
            final int len = j1 - j0;
            for (int k0 = 0; k0 < in; k0 += kc) {
                final int k1 = Math.min(in, k0 + kc);
                int r = 0;
                for (int f = fours; f > 0 && r + 3 < rows; f--, r += 4) {
                    rowGroup(4, x, xOff + r * ldx, ldx, k0, k1, w, acc, out, y, yOff + r * ldy, ldy);
                }
                if (triples) {
                    for (; r + 2 < rows; r += 3) {
                        rowGroup(3, x, xOff + r * ldx, ldx, k0, k1, w, acc, out, y, yOff + r * ldy, ldy);
                    }
                }
                for (; r + 1 < rows; r += 2) {
                    final int ya = yOff + r * ldy + j0;
                    System.arraycopy(y, ya, y0, j0, len);
                    System.arraycopy(y, ya + ldy, y1, j0, len);
                    pair(x, xOff + r * ldx, xOff + (r + 1) * ldx, k0, k1, w, acc, j0, j1);
                    System.arraycopy(y0, j0, y, ya, len);
                    System.arraycopy(y1, j0, y, ya + ldy, len);
                }
                if (r < rows) {
                    final int ya = yOff + r * ldy + j0;
                    System.arraycopy(y, ya, y0, j0, len);
                    single(x, xOff + r * ldx, k0, k1, w, acc, j0, j1);
                    System.arraycopy(y0, j0, y, ya, len);
                }
            }
        }
    }

    /**
     * {@link #gemmRows}' {@code count} rows (4: {@link #quad}, 3: {@link #triple}) over whole rows of
     * {@code out} columns: each row of {@code y} (from {@code ya}, {@code ldy} apart) copied into its
     * accumulator row, the inputs {@code [k0, k1)} added, and copied back.
     */
    private void rowGroup(int count, float[] x, int xa, int ldx, int k0, int k1, float[][] w, float[][] acc, int out,
                          float[] y, int ya, int ldy) {
        for (int q = 0; q < count; q++) {
            System.arraycopy(y, ya + q * ldy, acc[q], 0, out);
        }
        if (count == 4) {
            quad(x, xa, ldx, k0, k1, w, acc, out);
        } else {
            triple(x, xa, ldx, k0, k1, w, acc, out);
        }
        for (int q = 0; q < count; q++) {
            System.arraycopy(acc[q], 0, y, ya + q * ldy, out);
        }
    }

    /**
     * {@code y[j] += x[xOff+k0 .. xOff+k1) . w[k0..k1)[j]} for {@code j0 <= j < j1}, {@code y = acc[0]}: four inputs per
     * pass, added one after the other, {@code (((y + a0 w0) + a1 w1) + a2 w2) + a3 w3}.
     */
    void single(float[] x, int xOff, int k0, int k1, float[][] w, float[][] acc, int j0, int j1) {
        final float[] y = acc[0];
        int k = k0;
        for (; k + 3 < k1; k += 4) {
            final float a0 = x[xOff + k];
            final float a1 = x[xOff + k + 1];
            final float a2 = x[xOff + k + 2];
            final float a3 = x[xOff + k + 3];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            final float[] v2 = w[k + 2];
            final float[] v3 = w[k + 3];
            for (int j = j0; j < j1; j++) {
                y[j] = (((y[j] + a0 * v0[j]) + a1 * v1[j]) + a2 * v2[j]) + a3 * v3[j];
            }
        }
        for (; k < k1; k++) {
            final float a0 = x[xOff + k];
            final float[] v0 = w[k];
            for (int j = j0; j < j1; j++) {
                y[j] += a0 * v0[j];
            }
        }
    }

    /** Through this thread's accumulator, as {@link #gemmAcc}'s single row. */
    @Override
    final void rowColumns(float[] x, int xOff, int in, float[][] w, int out, float[] y, int yOff, int j0, int j1) {
        final float[][] acc = acc(j1);
        System.arraycopy(y, yOff + j0, acc[0], j0, j1 - j0);
        single(x, xOff, 0, in, w, acc, j0, j1);
        System.arraycopy(acc[0], j0, y, yOff + j0, j1 - j0);
    }

    @Override
    final int rowShareColumns() {
        return 16;
    }

    /** Whether {@link #quad} has a loop shape of its own (the portable kernels have none). */
    boolean quads() {
        return false;
    }

    /**
     * Where {@link #triple} is the fastest shape and {@link #quad} the next ({@code Math.fma} before
     * JDK 25): how many quads to take before the triples over {@code count} rows or columns, so that
     * none is left for a pair or a single ({@code count % 3}: 16 = 4 + 3 x 4, 32 = 2 x 4 + 8 x 3);
     * 0 where there is no quad.
     */
    int quadsBeforeTriples(int count) {
        return 0;
    }

    /** Whether {@link #matmulTransposed} takes {@link #quad} over whole transposed rows. */
    boolean transposedQuads() {
        return quads();
    }

    /**
     * {@link #single} for three rows (inputs at {@code xa}, {@code ldx} apart, accumulators
     * {@code acc[0..2]}) over columns {@code [0, n)}, two inputs per pass, each row's products
     * added in input order (the bits of {@link #single}), on whole rows (a constant start).  Nine
     * operations per two weight loads and three accumulator loads and stores, the largest body
     * JDK 17's C2 still vectorizes.  Measured on a convolution's transposed product (144 x 48 over
     * 256 pixels, load 1.1), GFLOP/s against {@link #pair}: JDK 17 35 -> 37-38, JDK 25 30-31 -> 37-38;
     * the runtime's GEMM at the roofline shape, JDK 17: 40 -> 48.
     */
    void triple(float[] x, int xa, int ldx, int k0, int k1, float[][] w, float[][] acc, int n) {
        final float[] ya = acc[0];
        final float[] yb = acc[1];
        final float[] yc = acc[2];
        final int xb = xa + ldx;
        final int xc = xb + ldx;
        int k = k0;
        for (; k + 1 < k1; k += 2) {
            final float a0 = x[xa + k];
            final float a1 = x[xa + k + 1];
            final float b0 = x[xb + k];
            final float b1 = x[xb + k + 1];
            final float c0 = x[xc + k];
            final float c1 = x[xc + k + 1];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            for (int j = 0; j < n; j++) {
                final float w0 = v0[j];
                final float w1 = v1[j];
                ya[j] = (ya[j] + a0 * w0) + a1 * w1;
                yb[j] = (yb[j] + b0 * w0) + b1 * w1;
                yc[j] = (yc[j] + c0 * w0) + c1 * w1;
            }
        }
        if (k < k1) {
            final float a0 = x[xa + k];
            final float b0 = x[xb + k];
            final float c0 = x[xc + k];
            final float[] v0 = w[k];
            for (int j = 0; j < n; j++) {
                ya[j] += a0 * v0[j];
                yb[j] += b0 * v0[j];
                yc[j] += c0 * v0[j];
            }
        }
    }

    /**
     * {@link #single} for four rows (inputs at {@code xa}, {@code ldx} apart, accumulators
     * {@code acc[0..3]}) over columns {@code [0, n)}, each row's products added in input order
     * (the bits of {@link #single}); used when {@link #quads} says so, on whole rows (HotSpot 25
     * vectorizes its loop only when it starts at a constant column).
     */
    void quad(float[] x, int xa, int ldx, int k0, int k1, float[][] w, float[][] acc, int n) {
        throw new UnsupportedOperationException("quad");
    }

    /**
     * {@link #single} for two rows (inputs at {@code xa} and {@code xb}, accumulators
     * {@code ya} and {@code yb}) sharing each load of two weights: four multiply-adds
     * per pass, each row's two added in input order (the bits of {@link #single}).
     */
    void pair(float[] x, int xa, int xb, int k0, int k1, float[][] w, float[][] acc, int j0, int j1) {
        final float[] ya = acc[0];
        final float[] yb = acc[1];
        int k = k0;
        for (; k + 1 < k1; k += 2) {
            final float a0 = x[xa + k];
            final float a1 = x[xa + k + 1];
            final float b0 = x[xb + k];
            final float b1 = x[xb + k + 1];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            for (int j = j0; j < j1; j++) {
                final float w0 = v0[j];
                final float w1 = v1[j];
                ya[j] = (ya[j] + a0 * w0) + a1 * w1;
                yb[j] = (yb[j] + b0 * w0) + b1 * w1;
            }
        }
        if (k < k1) {
            final float a0 = x[xa + k];
            final float b0 = x[xb + k];
            final float[] v0 = w[k];
            for (int j = j0; j < j1; j++) {
                ya[j] += a0 * v0[j];
                yb[j] += b0 * v0[j];
            }
        }
    }

    @Override
    void lstmGates(float[] p, int z, float[] st, int hOff, int u) {
        lstmGatesRows(p, z, 4 * u, 1, st, hOff, 0, u);
    }

    /**
     * Simple passes over contiguous ranges that HotSpot turns into vector loops, the costly
     * one (tanh) over as many values at once as possible: one tanh over every gate of every
     * row (i, f and o hold x / 2); per row {@code c = sigmoid(f) c + sigmoid(i) g}
     * ({@link #cellUpdate}, {@code sigmoid = 0.5 t + 0.5} of the tanh t as it reads them); one
     * tanh over every row's c; then per row {@code h = sigmoid(o) tanh(c)} ({@link #hidden}).
     * The same operations per value as one fused loop (Java has no contraction), so the same
     * bits.  Taking the sigmoids in the c and h loops saves two passes per row (measured, one
     * LSTM step at batch 1 alone, load 0.5-1.0: 15 units 222-236 -> 217-225 ns on JDK 17 with
     * {@code Math.fma}; 128 units and the other tiers unchanged within the noise).  HotSpot
     * vectorizes a loop only when all its array accesses share one offset
     * (measured on JDK 17 and 25: {@code a[i] = f(a[i], b[o + i])} stays scalar), so each
     * operand of the c and h loops gets its own array at offset 0 (the copies cost less than
     * scalar loops); and each call of a vectorized tanh costs about 100 ns more than its
     * values (its scalar first and last iterations), so fewer, longer calls (measured, 128
     * units: 4 calls per row 4.9 ns per unit, 2 calls 3.3).
     */
    @Override
    void lstmGatesRows(float[] p, int z, int ldp, int rows, float[] st, int s, int ldst, int u) {
        if (ldp == 4 * u) {
            tanh(p, z, rows * 4 * u);
        } else {
            for (int r = 0; r < rows; r++) {
                tanh(p, z + r * ldp, 4 * u);
            }
        }
        if (rows * u < SHORT) {
            // every loop too short to vectorize: c, tanh(c) and h in one scalar pass (measured, the
            // 15-unit model whole, against a pass each: 0.94x the time on JDK 17 with Math.fma,
            // 0.95x portable, 0.93x on JDK 25, load 0.6-1.1)
            for (int r = 0; r < rows; r++) {
                final int zr = z + r * ldp;
                final int hOff = s + r * ldst;
                final int cOff = hOff + u;
                for (int j = 0; j < u; j++) {
                    final float c = sigmoidOfHalf(p[zr + u + j]) * st[cOff + j]
                            + sigmoidOfHalf(p[zr + j]) * p[zr + 2 * u + j];
                    st[cOff + j] = c;
                    st[hOff + j] = sigmoidOfHalf(p[zr + 3 * u + j]) * tanhShort(c);
                }
            }
            return;
        }
        final float[][] g = gateRows(u, rows);
        final float[] cs = g[4]; // every row's c, then tanh(c)
        if (u < SHORT) {
            // loops too short to vectorize: straight from p and st, no copies
            for (int r = 0; r < rows; r++) {
                final int zr = z + r * ldp;
                final int cOff = s + r * ldst + u;
                for (int j = 0; j < u; j++) {
                    final float c = sigmoidOfHalf(p[zr + u + j]) * st[cOff + j]
                            + sigmoidOfHalf(p[zr + j]) * p[zr + 2 * u + j];
                    st[cOff + j] = c;
                    cs[r * u + j] = c;
                }
            }
            tanh(cs, 0, rows * u);
            for (int r = 0; r < rows; r++) {
                final int oz = z + r * ldp + 3 * u;
                final int hOff = s + r * ldst;
                for (int j = 0; j < u; j++) {
                    st[hOff + j] = sigmoidOfHalf(p[oz + j]) * cs[r * u + j];
                }
            }
            return;
        }
        final float[] i = g[0];
        final float[] f = g[1];
        final float[] c = g[2];
        final float[] t = g[3]; // gate g, then gate o
        for (int r = 0; r < rows; r++) {
            final int zr = z + r * ldp;
            final int cOff = s + r * ldst + u;
            System.arraycopy(p, zr, i, 0, u);
            System.arraycopy(p, zr + u, f, 0, u);
            System.arraycopy(st, cOff, c, 0, u);
            System.arraycopy(p, zr + 2 * u, t, 0, u);
            cellUpdate(i, f, t, c, u);
            System.arraycopy(c, 0, st, cOff, u);
            System.arraycopy(c, 0, cs, r * u, u);
        }
        tanh(cs, 0, rows * u);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(p, z + r * ldp + 3 * u, t, 0, u);
            System.arraycopy(cs, r * u, c, 0, u);
            hidden(t, c, i, u);
            System.arraycopy(i, 0, st, s + r * ldst, u);
        }
    }

    /** The tanh of one value in a loop too short to vectorize, as {@link #tanh} takes it there. */
    float tanhShort(float x) {
        return Activation.tanhShort(x);
    }

    /** {@code 0.5 t + 0.5}: sigmoid(x) from {@code t = tanh(x / 2)}, as {@link #sigmoid}. */
    float sigmoidOfHalf(float t) {
        return 0.5f * t + 0.5f;
    }

    /**
     * {@code c = sigmoid(f) c + sigmoid(i) g} over {@code [0, n)}, gates i and f given as the
     * tanh of half their pre-activation ({@link #sigmoidOfHalf}).  The sigmoid is written out here
     * and in {@link #hidden}, each overridden by {@code FmaKernels}: calling the overridable
     * {@link #sigmoidOfHalf} in the loop made the 128-unit step 4-5% slower with {@code Math.fma}
     * (JDK 17, load 2.0-2.7).
     */
    void cellUpdate(float[] i, float[] f, float[] g, float[] c, int n) {
        for (int j = 0; j < n; j++) {
            c[j] = (0.5f * f[j] + 0.5f) * c[j] + (0.5f * i[j] + 0.5f) * g[j];
        }
    }

    /** {@code h = sigmoid(o) tc} over {@code [0, n)}, gate o as in {@link #cellUpdate}. */
    void hidden(float[] o, float[] tc, float[] h, int n) {
        for (int j = 0; j < n; j++) {
            h[j] = (0.5f * o[j] + 0.5f) * tc[j];
        }
    }

    /**
     * Per-thread operand arrays of {@link #lstmGatesRows}: four of at least {@code u} values,
     * then one of at least {@code u * rows}.
     */
    private static final ThreadLocal<float[][]> GATES = new ThreadLocal<float[][]>();

    private static float[][] gateRows(int u, int rows) {
        float[][] g = GATES.get();
        if (g == null || g[0].length < u || g[4].length < u * rows) {
            final int n = Math.max(u, g == null ? 0 : g[0].length);
            g = new float[][] {new float[n], new float[n], new float[n], new float[n],
                new float[Math.max(u * rows, g == null ? 0 : g[4].length)]};
            GATES.set(g);
        }
        return g;
    }

    /**
     * Arrays shorter than this get the comparison clamp ({@link Activation#tanhShort}): HotSpot's
     * vector loops start at about this length, and below it the loop stays scalar.
     */
    static final int SHORT = 32;

    @Override
    void tanh(float[] a, int off, int len) {
        final int end = off + len;
        if (len < SHORT) {
            for (int i = off; i < end; i++) {
                a[i] = Activation.tanhShort(a[i]);
            }
            return;
        }
        for (int i = off; i < end; i++) {
            a[i] = Activation.tanh(a[i]);
        }
    }

    @Override
    void sigmoid(float[] a, int off, int len) {
        final int end = off + len;
        if (len < SHORT) {
            for (int i = off; i < end; i++) {
                a[i] = 0.5f * Activation.tanhShort(0.5f * a[i]) + 0.5f;
            }
            return;
        }
        for (int i = off; i < end; i++) {
            a[i] = Activation.sigmoid(a[i]);
        }
    }
}
