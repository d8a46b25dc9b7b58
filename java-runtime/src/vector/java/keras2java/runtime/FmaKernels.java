package keras2java.runtime;

/**
 * {@link PortableKernels} with {@code Math.fma} in the matrix products and in the
 * tanh and sigmoid interpolants (Java 9+):
 * no flag, no module.  HotSpot's C2 vectorizes {@code Math.fma} loops (since JDK
 * 10), and a fused multiply-add is one instruction where the portable loops issue
 * a multiply and an add; it also counts as one operation in the loop-size limit
 * under which C2 vectorizes at all, so from JDK 25 on each pass does more
 * multiply-adds per load and store of the accumulators (one row adds six inputs
 * per pass, two rows add four each).
 *
 * <p>Chosen by {@link Kernels} when the JVM compiles {@code Math.fma} to the
 * CPU's instruction (HotSpot's {@code UseFMA}; without it {@code Math.fma} runs
 * in software, far slower).  Every output is {@code fma(a_k, w_k, .)} chained
 * in input order in every path, so a batch gives each sample the bits of a
 * batch of one; the bits differ from the portable kernels' (one rounding per
 * multiply-add instead of two), both within 1e-5 of Keras.  Compiled with the
 * vector kernels' source root (Java 17 class files), it needs no module.
 */
final class FmaKernels extends PortableKernels {
    FmaKernels() {
        if (!hardwareFma()) {
            throw new UnsupportedOperationException("Math.fma is not compiled to an FMA instruction here");
        }
    }

    @Override
    String describe() {
        return "portable Java with Math.fma";
    }

    /** HotSpot's UseFMA flag is on (read through the management API; false when that cannot be read). */
    static boolean hardwareFma() {
        try {
            final Class<?> bean = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
            final Object mx = java.lang.management.ManagementFactory.getPlatformMXBean(
                    bean.asSubclass(java.lang.management.PlatformManagedObject.class));
            final Object option = bean.getMethod("getVMOption", String.class).invoke(mx, "UseFMA");
            return "true".equals(option.getClass().getMethod("getValue").invoke(option));
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * Four inputs per pass in {@link #quad} and {@link #pair}, loops which C2 vectorizes from JDK
     * 25 on (measured: JDK 17 leaves them scalar, several times slower; JDK 21 not measured, so it
     * gets the short shapes).  Both widths chain the same {@code fma} calls in the same order: the
     * same bits.
     */
    private static final boolean WIDE = javaVersion() >= 25;

    /**
     * Six inputs per pass, chained: {@code fma(a5, w5, ... fma(a0, w0, y))}.  C2 vectorizes this
     * loop on JDK 17 too (measured: the medium model's recurrent step, 128 x 512, 43 -> 47 GFLOP/s
     * against four inputs per pass; its batch-1 sequence 4% faster).
     */
    @Override
    void single(float[] x, int xOff, int k0, int k1, float[][] w, float[][] acc, int j0, int j1) {
        final float[] y = acc[0];
        int k = k0;
        for (; k + 5 < k1; k += 6) {
            final float a0 = x[xOff + k];
            final float a1 = x[xOff + k + 1];
            final float a2 = x[xOff + k + 2];
            final float a3 = x[xOff + k + 3];
            final float a4 = x[xOff + k + 4];
            final float a5 = x[xOff + k + 5];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            final float[] v2 = w[k + 2];
            final float[] v3 = w[k + 3];
            final float[] v4 = w[k + 4];
            final float[] v5 = w[k + 5];
            for (int j = j0; j < j1; j++) {
                float s = Math.fma(a0, v0[j], y[j]);
                s = Math.fma(a1, v1[j], s);
                s = Math.fma(a2, v2[j], s);
                s = Math.fma(a3, v3[j], s);
                s = Math.fma(a4, v4[j], s);
                y[j] = Math.fma(a5, v5[j], s);
            }
        }
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
                y[j] = Math.fma(a3, v3[j], Math.fma(a2, v2[j], Math.fma(a1, v1[j], Math.fma(a0, v0[j], y[j]))));
            }
        }
        tail(x, xOff, k, k1, w, y, j0, j1);
    }

    /**
     * The last one to three inputs of {@link #single} in one pass: a short row pays C2's pre- and
     * post-loop (scalar) iterations once per pass, so fewer passes (a 15-unit LSTM step: three
     * instead of five).  The same chain of {@code fma}.
     */
    private static void tail(float[] x, int xOff, int k, int k1, float[][] w, float[] y, int j0, int j1) {
        if (k1 - k == 3) {
            final float a0 = x[xOff + k];
            final float a1 = x[xOff + k + 1];
            final float a2 = x[xOff + k + 2];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            final float[] v2 = w[k + 2];
            for (int j = j0; j < j1; j++) {
                y[j] = Math.fma(a2, v2[j], Math.fma(a1, v1[j], Math.fma(a0, v0[j], y[j])));
            }
        } else if (k1 - k == 2) {
            final float a0 = x[xOff + k];
            final float a1 = x[xOff + k + 1];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            for (int j = j0; j < j1; j++) {
                y[j] = Math.fma(a1, v1[j], Math.fma(a0, v0[j], y[j]));
            }
        } else if (k1 - k == 1) {
            final float a0 = x[xOff + k];
            final float[] v0 = w[k];
            for (int j = j0; j < j1; j++) {
                y[j] = Math.fma(a0, v0[j], y[j]);
            }
        }
    }

    /** {@link #quad} (four rows of four inputs) from JDK 25 on; before it, {@link #triple} (three of three). */
    @Override
    boolean quads() {
        return WIDE;
    }

    /** Before JDK 25, {@link #quad} (four rows of two inputs) for the one or two rows the triples leave. */
    @Override
    int quadsBeforeTriples(int count) {
        return WIDE ? 0 : count % 3;
    }

    /**
     * The transposed product (a convolution's) takes {@link #quad} from JDK 25 on only: with two
     * inputs per pass, JDK 17's first cnn_lstm Conv2D layer (27 inputs, 16 columns) ran 6% slower
     * than {@link #triple} over blocks of {@link #T_BLOCK} rows (roofline, load 1.4).
     */
    @Override
    boolean transposedQuads() {
        return WIDE;
    }

    /**
     * Four rows over whole rows: sixteen multiply-adds per four weight loads and four accumulator
     * loads and stores from JDK 25 on; before it (JDK 17's C2 leaves that loop scalar), two inputs
     * per pass, eight multiply-adds per two weight loads and four accumulator loads and stores, the
     * widest four-row loop JDK 17 vectorizes (JDK 25 also leaves the four-input loop scalar when it
     * starts at a variable column).  JDK 25, measured under load, paired runs: the medium model's
     * batch-64 step ([64 x 128] x [128 x 512]) 57 -> 72 GFLOP/s, its input projection 56 -> 67, the
     * large model's step ([64 x 512] x [512 x 2048]) 51 -> 52.  JDK 17 against {@link #triple}
     * (roofline, 2-6 fresh JVMs each, alternating, load 1.1-1.6, medians): the runtime's GEMM 110.4 ->
     * 116.8 GFLOP/s, the medium step b64 95.5-117.0 -> 114.6-127.5, the large step b64 108.9-122.4
     * -> 118.8-126.9, the medium projection 112.0-112.6 -> 118.9-126.8.  The same {@code fma} chain
     * per row as {@link #pair}: the same bits.
     */
    @Override
    void quad(float[] x, int xa, int ldx, int k0, int k1, float[][] w, float[][] acc, int n) {
        final float[] ya = acc[0];
        final float[] yb = acc[1];
        final float[] yc = acc[2];
        final float[] yd = acc[3];
        final int xb = xa + ldx;
        final int xc = xb + ldx;
        final int xd = xc + ldx;
        int k = k0;
        if (!WIDE) {
            for (; k + 1 < k1; k += 2) {
                final float a0 = x[xa + k];
                final float a1 = x[xa + k + 1];
                final float b0 = x[xb + k];
                final float b1 = x[xb + k + 1];
                final float c0 = x[xc + k];
                final float c1 = x[xc + k + 1];
                final float d0 = x[xd + k];
                final float d1 = x[xd + k + 1];
                final float[] v0 = w[k];
                final float[] v1 = w[k + 1];
                for (int j = 0; j < n; j++) {
                    final float w0 = v0[j];
                    final float w1 = v1[j];
                    ya[j] = Math.fma(a1, w1, Math.fma(a0, w0, ya[j]));
                    yb[j] = Math.fma(b1, w1, Math.fma(b0, w0, yb[j]));
                    yc[j] = Math.fma(c1, w1, Math.fma(c0, w0, yc[j]));
                    yd[j] = Math.fma(d1, w1, Math.fma(d0, w0, yd[j]));
                }
            }
        }
        for (; k + 3 < k1; k += 4) {
            final float a0 = x[xa + k];
            final float a1 = x[xa + k + 1];
            final float a2 = x[xa + k + 2];
            final float a3 = x[xa + k + 3];
            final float b0 = x[xb + k];
            final float b1 = x[xb + k + 1];
            final float b2 = x[xb + k + 2];
            final float b3 = x[xb + k + 3];
            final float c0 = x[xc + k];
            final float c1 = x[xc + k + 1];
            final float c2 = x[xc + k + 2];
            final float c3 = x[xc + k + 3];
            final float d0 = x[xd + k];
            final float d1 = x[xd + k + 1];
            final float d2 = x[xd + k + 2];
            final float d3 = x[xd + k + 3];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            final float[] v2 = w[k + 2];
            final float[] v3 = w[k + 3];
            for (int j = 0; j < n; j++) {
                final float w0 = v0[j];
                final float w1 = v1[j];
                final float w2 = v2[j];
                final float w3 = v3[j];
                ya[j] = Math.fma(a3, w3, Math.fma(a2, w2, Math.fma(a1, w1, Math.fma(a0, w0, ya[j]))));
                yb[j] = Math.fma(b3, w3, Math.fma(b2, w2, Math.fma(b1, w1, Math.fma(b0, w0, yb[j]))));
                yc[j] = Math.fma(c3, w3, Math.fma(c2, w2, Math.fma(c1, w1, Math.fma(c0, w0, yc[j]))));
                yd[j] = Math.fma(d3, w3, Math.fma(d2, w2, Math.fma(d1, w1, Math.fma(d0, w0, yd[j]))));
            }
        }
        for (; k < k1; k++) {
            final float a0 = x[xa + k];
            final float b0 = x[xb + k];
            final float c0 = x[xc + k];
            final float d0 = x[xd + k];
            final float[] v0 = w[k];
            for (int j = 0; j < n; j++) {
                final float w0 = v0[j];
                ya[j] = Math.fma(a0, w0, ya[j]);
                yb[j] = Math.fma(b0, w0, yb[j]);
                yc[j] = Math.fma(c0, w0, yc[j]);
                yd[j] = Math.fma(d0, w0, yd[j]);
            }
        }
    }

    /**
     * Three rows, three inputs per pass: nine multiply-adds per three weight loads and three
     * accumulator loads and stores, the widest shape JDK 17's C2 vectorizes (four rows of three
     * inputs stay scalar) and the best of the roofline's shapes there (140 GFLOP/s against 123 for
     * four rows of two inputs and 113 for three of two, weights in L2).  The same {@code fma} chain
     * per row as {@link #pair}: the same bits.
     */
    @Override
    void triple(float[] x, int xa, int ldx, int k0, int k1, float[][] w, float[][] acc, int n) {
        final float[] ya = acc[0];
        final float[] yb = acc[1];
        final float[] yc = acc[2];
        final int xb = xa + ldx;
        final int xc = xb + ldx;
        int k = k0;
        for (; k + 2 < k1; k += 3) {
            final float a0 = x[xa + k];
            final float a1 = x[xa + k + 1];
            final float a2 = x[xa + k + 2];
            final float b0 = x[xb + k];
            final float b1 = x[xb + k + 1];
            final float b2 = x[xb + k + 2];
            final float c0 = x[xc + k];
            final float c1 = x[xc + k + 1];
            final float c2 = x[xc + k + 2];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            final float[] v2 = w[k + 2];
            for (int j = 0; j < n; j++) {
                final float w0 = v0[j];
                final float w1 = v1[j];
                final float w2 = v2[j];
                ya[j] = Math.fma(a2, w2, Math.fma(a1, w1, Math.fma(a0, w0, ya[j])));
                yb[j] = Math.fma(b2, w2, Math.fma(b1, w1, Math.fma(b0, w0, yb[j])));
                yc[j] = Math.fma(c2, w2, Math.fma(c1, w1, Math.fma(c0, w0, yc[j])));
            }
        }
        if (k < k1) {
            // the last one or two inputs through single, row by row (a method too large for C2 to
            // inline): with a loop of their own here that ran, C2 (JDK 17) left the three-input loop
            // scalar (a convolution's transposed product, 1024 x 144 x 32: 16 GFLOP/s against 109)
            final float[][] row = ROW.get();
            for (int q = 0; q < 3; q++) {
                row[0] = acc[q];
                single(x, xa + q * ldx, k, k1, w, row, 0, n);
            }
        }
    }

    /** Per-thread view of one accumulator row (the first of {@link #single}'s {@code acc}). */
    private static final ThreadLocal<float[][]> ROW = new ThreadLocal<float[][]>() {
        @Override
        protected float[][] initialValue() {
            return new float[1][];
        }
    };

    /** Two rows, four inputs per pass each (two before JDK 25): eight multiply-adds per four weight loads. */
    @Override
    void pair(float[] x, int xa, int xb, int k0, int k1, float[][] w, float[][] acc, int j0, int j1) {
        final float[] ya = acc[0];
        final float[] yb = acc[1];
        int k = k0;
        if (WIDE) {
            for (; k + 3 < k1; k += 4) {
                final float a0 = x[xa + k];
                final float a1 = x[xa + k + 1];
                final float a2 = x[xa + k + 2];
                final float a3 = x[xa + k + 3];
                final float b0 = x[xb + k];
                final float b1 = x[xb + k + 1];
                final float b2 = x[xb + k + 2];
                final float b3 = x[xb + k + 3];
                final float[] v0 = w[k];
                final float[] v1 = w[k + 1];
                final float[] v2 = w[k + 2];
                final float[] v3 = w[k + 3];
                for (int j = j0; j < j1; j++) {
                    final float w0 = v0[j];
                    final float w1 = v1[j];
                    final float w2 = v2[j];
                    final float w3 = v3[j];
                    ya[j] = Math.fma(a3, w3, Math.fma(a2, w2, Math.fma(a1, w1, Math.fma(a0, w0, ya[j]))));
                    yb[j] = Math.fma(b3, w3, Math.fma(b2, w2, Math.fma(b1, w1, Math.fma(b0, w0, yb[j]))));
                }
            }
        }
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
                ya[j] = Math.fma(a1, w1, Math.fma(a0, w0, ya[j]));
                yb[j] = Math.fma(b1, w1, Math.fma(b0, w0, yb[j]));
            }
        }
        if (k < k1) {
            final float a0 = x[xa + k];
            final float b0 = x[xb + k];
            final float[] v0 = w[k];
            for (int j = j0; j < j1; j++) {
                ya[j] = Math.fma(a0, v0[j], ya[j]);
                yb[j] = Math.fma(b0, v0[j], yb[j]);
            }
        }
    }

    // ---------------------------------------------------------------- activations

    /**
     * {@link Activation#tanh} with fused multiply-adds in the rational interpolant: half the
     * operations and half the latency of the portable form (measured: LSTM gates 13% faster at
     * 128 units, 25% at 15), and one rounding less per step, so within 1 ulp of it.
     */
    static float tanh(float x) {
        return tanhOf(Math.max(-9f, Math.min(9f, x)));
    }

    /** {@link #tanh} with the clamp of {@link Activation#tanhShort}, for loops that stay scalar. */
    @Override
    float tanhShort(float x) {
        return shortTanh(x);
    }

    private static float shortTanh(float x) {
        return tanhOf(x > 9f ? 9f : (x < -9f ? -9f : x));
    }

    private static float tanhOf(float c) {
        final float x2 = c * c;
        float p = Math.fma(x2, Activation.TANH_P0, Activation.TANH_P1);
        p = Math.fma(p, x2, Activation.TANH_P2);
        p = Math.fma(p, x2, Activation.TANH_P3);
        p = Math.fma(p, x2, Activation.TANH_P4);
        p = Math.fma(p, x2, Activation.TANH_P5);
        p = Math.fma(p, x2, Activation.TANH_P6);
        float q = Math.fma(x2, Activation.TANH_Q0, Activation.TANH_Q1);
        q = Math.fma(q, x2, Activation.TANH_Q2);
        q = Math.fma(q, x2, Activation.TANH_Q3);
        return p * c / q;
    }

    @Override
    void tanh(float[] a, int off, int len) {
        final int end = off + len;
        if (len < SHORT) {
            for (int i = off; i < end; i++) {
                a[i] = shortTanh(a[i]);
            }
            return;
        }
        for (int i = off; i < end; i++) {
            a[i] = tanh(a[i]);
        }
    }

    /** {@code 0.5 t + 0.5} in one rounding, as {@link #sigmoid}. */
    @Override
    float sigmoidOfHalf(float t) {
        return Math.fma(0.5f, t, 0.5f);
    }

    /** As {@link PortableKernels#cellUpdate}, each sigmoid in one rounding. */
    @Override
    void cellUpdate(float[] i, float[] f, float[] g, float[] c, int n) {
        for (int j = 0; j < n; j++) {
            c[j] = Math.fma(0.5f, f[j], 0.5f) * c[j] + Math.fma(0.5f, i[j], 0.5f) * g[j];
        }
    }

    /** As {@link PortableKernels#hidden}, the sigmoid in one rounding. */
    @Override
    void hidden(float[] o, float[] tc, float[] h, int n) {
        for (int j = 0; j < n; j++) {
            h[j] = Math.fma(0.5f, o[j], 0.5f) * tc[j];
        }
    }

    /** The logistic function as {@code 0.5 + 0.5 tanh(x / 2)}, as {@link Activation#sigmoid}. */
    @Override
    void sigmoid(float[] a, int off, int len) {
        final int end = off + len;
        if (len < SHORT) {
            for (int i = off; i < end; i++) {
                a[i] = Math.fma(0.5f, shortTanh(0.5f * a[i]), 0.5f);
            }
            return;
        }
        for (int i = off; i < end; i++) {
            a[i] = Math.fma(0.5f, tanh(0.5f * a[i]), 0.5f);
        }
    }
}
