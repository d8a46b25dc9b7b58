package keras2java.runtime;

/**
 * The hot loops of the runtime (blocked matrix products, the recurrent
 * mat-vec, the fused LSTM update, tanh and sigmoid over arrays), in one of two
 * implementations chosen once per JVM: {@link #ACTIVE}, never null.
 *
 * <p>{@link PortableKernels} is plain Java 8.  Two optional classes live in a
 * source root of their own (JDK 17+ source, written beside the runtime when
 * asked for, compiled by the generated Maven and Gradle builds on JDK 17+):
 * {@code FmaKernels}, the portable loops with {@code Math.fma}, used on any JVM
 * that can load it and compiles {@code Math.fma} to an instruction (no flag);
 * and {@code VectorKernels}, the Vector API kernels, which need
 * {@code --add-modules jdk.incubator.vector}.
 *
 * <p>The numeric contract: every kernel matches Keras within 1e-5; each is
 * deterministic (the same input gives the same bits, whatever the thread count,
 * the number of rows computed together or a row's position among them); the
 * batch path ({@link #gemmAcc} over a batch) gives each sample what the
 * one-sample path gives it, within 1e-6 (with these kernels: the same bits).
 * The vector kernels use fused multiply-add, the portable ones cannot (Java 8),
 * so the two differ in the low bits.
 *
 * <p>Matrices are packed once, by {@link #pack} and {@link #packBias}, into the
 * layout the active implementation reads; {@link Linear} holds them.
 *
 * <p>The system property {@code keras2java.kernels} selects: {@code auto}
 * (default: the vector kernels when available on Java 25 or newer, else the
 * FMA kernels when available, else the portable ones), {@code portable},
 * {@code fma} or {@code vector} (also on Java 17 to 24); {@code fma} and
 * {@code vector} fail when those kernels cannot be loaded.  On JDK 17, C2 sometimes compiles the
 * Vector API loops through on-stack replacement with boxed vectors, several
 * times slower for the life of the JVM (about 3 in 10 starts of two threads
 * predicting at once, in this project's tests; never on JDK 25).
 */
public abstract class Kernels {
    /** The kernels this JVM uses (never null). */
    static final Kernels ACTIVE = load();

    Kernels() {
    }

    /** Which kernels this JVM uses, e.g. {@code "portable Java"} or {@code "jdk.incubator.vector, 16 floats"}. */
    public static String active() {
        return ACTIVE.describe();
    }

    abstract String describe();

    /**
     * The {@code (n, out)} matrix whose row k is {@code data[off + k*ld .. off + k*ld + out)},
     * in the layout {@link #matmul} and {@link #gemmAcc} read.
     */
    abstract float[][] pack(float[] data, int off, int ld, int n, int out);

    /**
     * The {@code out} bias values at {@code data[off..]} (zeros for {@code off < 0})
     * in the layout {@link #matmul} reads.
     */
    abstract float[] packBias(float[] data, int off, int out);

    /**
     * {@code y[r, :] = bias + x[r, :] . w} for {@code rows} rows of {@code in}
     * values at {@code x[xOff..]} (rows {@code in} apart), written {@code out}
     * apart from {@code y[yOff..]}; {@code w} from {@link #pack}, {@code bias}
     * from {@link #packBias}.  Each row's result is the same whatever the
     * number of rows (streaming one timestep gives the bits of a whole
     * sequence): every output starts at the bias and adds the products one
     * input at a time.
     */
    abstract void matmul(float[] x, int xOff, int rows, int in, float[][] w, float[] bias, int out,
                         float[] y, int yOff);

    /**
     * The LSTM cell update with sigmoid gates and tanh: gates i, f, c, o at
     * {@code p[z..]} ({@code u} each, which it may overwrite), state h at
     * {@code st[hOff..]} and c after it, both updated:
     * {@code c = f c + i g}, {@code h = o tanh(c)}.  Gates i, f and o hold half their
     * pre-activation (the cell halves their weights, an exact scaling), so that every gate
     * is one tanh: {@code sigmoid(x) = 0.5 tanh(x / 2) + 0.5}, as {@link Activation#sigmoid}.
     */
    abstract void lstmGates(float[] p, int z, float[] st, int hOff, int u);

    /**
     * {@link #lstmGates} of {@code rows} rows: row r's gates at {@code p[z + r*ldp..]}, its
     * state at {@code st[s + r*ldst..]}; each row gets the bits {@link #lstmGates} gives it.
     */
    void lstmGatesRows(float[] p, int z, int ldp, int rows, float[] st, int s, int ldst, int u) {
        for (int r = 0; r < rows; r++) {
            lstmGates(p, z + r * ldp, st, s + r * ldst, u);
        }
    }

    /**
     * {@code y[yOff + r*ldy + j] += x[xOff + r*ldx .. +in) . w[:, j]} for {@code rows} rows
     * ({@code j < out}), {@code w} from {@link #pack}: the batched recurrent step
     * ({@code [B x U] . [U x gU]} added to the gate pre-activations).  Each row's result
     * is the same whatever the number of rows and the row's position (the products are
     * added to the row one input at a time in every code path), so a batch gives every
     * sample the same bits as a batch of one.  The x and y ranges must not overlap.  One row goes
     * through {@link #rowColumns}, over all columns or in intra-op shares; more through {@link #gemmRows}.
     */
    final void gemmAcc(float[] x, int xOff, int ldx, int rows, int in, float[][] w, int out, float[] y,
                       int yOff, int ldy) {
        if (rows != 1) {
            gemmRows(x, xOff, ldx, rows, in, w, out, y, yOff, ldy);
        } else if (IntraOp.splits(in, out)) {
            IntraOp.single(this, x, xOff, in, w, out, y, yOff);
        } else {
            rowColumns(x, xOff, in, w, out, y, yOff, 0, out);
        }
    }

    /** {@link #gemmAcc} of two rows or more (any count: the tier's batched loops). */
    abstract void gemmRows(float[] x, int xOff, int ldx, int rows, int in, float[][] w, int out, float[] y,
                           int yOff, int ldy);

    /**
     * Columns {@code [j0, j1)} of {@link #gemmAcc} for one row: {@code y[yOff + j] += x[xOff ..
     * +in) . w[:, j]}, each column's sum as {@link #gemmAcc} adds it.  {@code j0} and {@code j1}
     * are multiples of {@link #rowShareColumns} ({@code j1} may be {@code out}); the share of one
     * intra-op thread ({@link IntraOp}).
     */
    abstract void rowColumns(float[] x, int xOff, int in, float[][] w, int out, float[] y, int yOff, int j0, int j1);

    /** The column granule of {@link #rowColumns}. */
    abstract int rowShareColumns();

    /**
     * Whether a convolution should multiply its input rows in place, one {@code (kw * in, filters)}
     * kernel row at a time through {@link #gemmAcc}, rather than gather patches (im2col) for one
     * product; false by default.
     */
    boolean multipliesInPlace() {
        return false;
    }

    /**
     * Whether {@link #matmulT} should compute a product of {@code rows} rows with an {@code (in, out)}
     * matrix (many rows, few columns: a convolution's pixels); false (the default) for kernels without it.
     */
    boolean transposes(int rows, int in, int out) {
        return false;
    }

    /**
     * For kernels that {@link #multipliesInPlace}: whether a convolution keeps a copy of its kernel
     * for {@link #matmulTransposed} over {@code rows} pixels, {@code in} inputs and {@code out}
     * filters, used by the pass that merges it with a 2 x 2 max pooling ({@link Conv2D#forwardPooled},
     * whose patches come already transposed); {@link #transposes} by default.
     */
    boolean transposesPatches(int rows, int in, int out) {
        return transposes(rows, in, out);
    }

    /**
     * {@code min(relu(x), maxValue)} in place over {@code a[off .. off+len)}, with relu's values for
     * every input: NaN stays NaN, as in TensorFlow (checked against Keras), and -0 gives +0.
     * Java's max and min propagate NaN, and HotSpot vectorizes them.
     */
    void relu(float[] a, int off, int len, float maxValue) {
        final int end = off + len;
        if (maxValue == Float.POSITIVE_INFINITY) {
            // no cap: one max (Java's max and min each cost several instructions per vector)
            for (int i = off; i < end; i++) {
                a[i] = Math.max(a[i], 0f);
            }
        } else {
            for (int i = off; i < end; i++) {
                a[i] = Math.min(Math.max(a[i], 0f), maxValue);
            }
        }
    }

    /**
     * Rows per pass of {@link #matmulT} and pixels per chunk of a convolution's transposed product
     * at most ({@link #transposedRowsMax}).
     */
    static final int T_ROWS = 1024;

    /** Transposed inputs per pass at most (2 MiB: {@code in} rows of a pass's values, then shorter passes). */
    static final int T_FLOATS = 512 * 1024;

    /** Per-thread transposed inputs of {@link #matmulT} (row k holds {@link #transposedRowsMax}{@code (k + 1)} values). */
    private static final ThreadLocal<float[][]> T_IN = new ThreadLocal<float[][]>();

    /**
     * {@link #matmul} computed a column at a time over many rows (the rows' inputs transposed, so the
     * inner loops run along the rows rather than along a few columns), for the kernels whose
     * {@link #transposes} says so: {@code wT} is the matrix transposed ({@code out} rows of {@code in}),
     * {@code bias} its {@code out} values.  Every output starts at the bias and adds the products one
     * input at a time in input order, as {@link #matmul} does: the same bits.  {@link
     * #transposedRowsMax} rows at a time: their inputs transposed into per-thread arrays (one per
     * input), then {@link #matmulTransposed}.  Measured (paired, in one JVM, under load), the
     * portable tiers: 1.1-2x matmul for 16-64 columns, JDK 17 and 25.
     */
    final void matmulT(float[] x, int xOff, int rows, int in, float[] wT, float[] bias, int out, float[] y, int yOff) {
        final float[][] t = transposedRows(in);
        final int chunk = transposedRowsMax(in);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            final int n = Math.min(chunk, rows - r0);
            final int xb = xOff + r0 * in;
            for (int k = 0; k < in; k++) {
                final float[] tk = t[k];
                for (int p = 0; p < n; p++) {
                    tk[p] = x[xb + k + p * in];
                }
            }
            matmulTransposed(t, n, in, wT, bias, out, y, yOff + r0 * out, 0, 0, out);
        }
    }

    /**
     * Row k of the arrays is {@link #transposedRowsMax}{@code (k + 1)} values long, enough for every
     * product of more than k inputs: the same arrays serve every layer (no reallocation from one
     * layer to the next), and their size stays bounded (2 MiB for the first 512 rows, 1 MiB for
     * the next 512, then 1 KiB a row).
     */
    final float[][] transposedRows(int in) {
        float[][] t = T_IN.get();
        if (t == null || t.length < in) {
            final float[][] old = t;
            t = new float[in][];
            for (int k = 0; k < in; k++) {
                t[k] = old != null && k < old.length ? old[k] : new float[transposedRowsMax(k + 1)];
            }
            T_IN.set(t);
        }
        return t;
    }

    /**
     * 1024 rows per pass where the pass's transposed inputs fit in {@link #T_FLOATS} floats,
     * else 512, else 256.  Long passes amortise C2's fixed cost per vector loop (each pass of a
     * column over 16-float vectors has a pre- and a post-loop) and the gather's per-chunk work; the
     * same sums in any chunk (each output adds its inputs in order).  Measured against 256 rows for
     * every input count (the runtime's 3 x 3 Conv2D layers alone, one JVM each, JDK 17 / JDK 25
     * {@code Math.fma}, load 0.8-1.1, microseconds per image): 64 x 64 x 3 -> 16 73 -> 58 / 73 -> 65,
     * 32 x 32 x 16 -> 32 131 -> 104 / 110 -> 86, 64 x 64 x 16 -> 16 294 -> 234 / 257 -> 201,
     * 32 x 32 x 32 -> 64 461 -> 357 / 355 -> 294; with 576 inputs (32 x 32 x 64 -> 32) 512 rows
     * did best on JDK 25 (409 -> 367 against 381 at 1024).
     */
    final int transposedRowsMax(int in) {
        return (long) in * T_ROWS <= T_FLOATS ? T_ROWS : (long) in * (T_ROWS / 2) <= T_FLOATS ? T_ROWS / 2
                : T_ROWS / 4;
    }

    /**
     * {@link #matmulT} of {@code n} rows already transposed ({@code t[k][p]} is input k of row p),
     * columns {@code [j0, j1)} only (an intra-op thread's share): the same sums.  With {@code plane}
     * 0 the outputs are rows of {@code out} from {@code yOff}; else column j's {@code n} outputs are
     * one run from {@code yOff + j * plane} (channel planes {@code plane} floats apart).
     */
    void matmulTransposed(float[][] t, int n, int in, float[] wT, float[] bias, int out, float[] y, int yOff,
                          int plane, int j0, int j1) {
        throw new UnsupportedOperationException("matmulTransposed");
    }

    /** {@link Activation#tanh} in place over {@code a[off .. off+len)}. */
    abstract void tanh(float[] a, int off, int len);

    /** {@link Activation#sigmoid} in place over {@code a[off .. off+len)}. */
    abstract void sigmoid(float[] a, int off, int len);

    /** The oldest Java version on which {@code auto} picks the vector kernels. */
    static final int AUTO_MIN_JAVA = 25;

    /** The Java feature version: 8 for "1.8", 17 for "17", 0 if unknown. */
    static int javaVersion() {
        try {
            String v = System.getProperty("java.specification.version", "0");
            if (v.startsWith("1.")) {
                v = v.substring(2);
            }
            int end = 0;
            while (end < v.length() && Character.isDigit(v.charAt(end))) {
                end++;
            }
            return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static Kernels load() {
        String mode;
        try {
            mode = System.getProperty("keras2java.kernels", "auto");
        } catch (SecurityException e) {
            mode = "auto";
        }
        if (!mode.equals("auto") && !mode.equals("portable") && !mode.equals("fma") && !mode.equals("vector")) {
            throw new IllegalArgumentException("keras2java.kernels must be auto, portable, fma or vector, not '"
                    + mode + "'");
        }
        if (mode.equals("portable")) {
            return new PortableKernels();
        }
        if (mode.equals("vector") || (mode.equals("auto") && javaVersion() >= AUTO_MIN_JAVA)) {
            final Kernels k = optional("VectorKernels", mode.equals("vector"),
                    "compile it with JDK 17+ and run with --add-modules jdk.incubator.vector");
            if (k != null) {
                return k;
            }
        }
        if (mode.equals("fma") || javaVersion() >= 9) {
            final Kernels k = optional("FmaKernels", mode.equals("fma"),
                    "compile the vector kernels' source root with JDK 17+ and run on a CPU with FMA");
            if (k != null) {
                return k;
            }
        }
        return new PortableKernels();
    }

    /**
     * The optional kernels class {@code simpleName} of this package, or null when it cannot be used
     * (not compiled in, a JVM too old for its class files, a module or CPU feature missing); when
     * {@code required}, that is an error instead.
     */
    private static Kernels optional(String simpleName, boolean required, String hint) {
        final String self = Kernels.class.getName();
        final String name = self.substring(0, self.lastIndexOf('.') + 1) + simpleName;
        try {
            return (Kernels) Class.forName(name).getDeclaredConstructor().newInstance();
        } catch (Throwable e) {
            if (required) {
                throw new IllegalStateException("keras2java.kernels asks for " + name + ", which cannot be used ("
                        + e + "); " + hint, e);
            }
            return null;
        }
    }
}
