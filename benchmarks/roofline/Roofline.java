import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The roofline of one kernel tier: GFLOP/s of the best loop shapes HotSpot gives for a
 * matrix-vector product and a GEMM with the weights in L2, beside the runtime's own kernels
 * ({@code keras2java.runtime.Linear}, whichever tier {@code -Dkeras2java.kernels} selects) at
 * the same shapes and at the benchmark models' shapes.
 *
 * <p>{@code java -Dkeras2java.kernels=TIER -cp CLASSES Roofline TIER}, TIER = portable, fma or
 * vector (fma and vector shapes come from RooflineFma and RooflineVector, compiled for Java 11
 * and 17).  Times are the thread's CPU time (a shared machine's other jobs do not count), each
 * case run in alternating rounds; the median round is printed.  Plain Java 8.
 */
public final class Roofline {
    private Roofline() {
    }

    /** One call of {@link #run} does {@code flops} floating-point operations. */
    public abstract static class Case {
        final String name;
        final double flops;

        protected Case(String name, double flops) {
            this.name = name;
            this.flops = flops;
        }

        protected abstract void run();
    }

    /** A {@code (k, n)} matrix as row arrays, values small enough to run for ever without overflow. */
    public static float[][] rows(int k, int n, long seed) {
        Random r = new Random(seed);
        float[][] w = new float[k][n];
        for (float[] row : w) {
            for (int j = 0; j < n; j++) {
                row[j] = (r.nextFloat() - 0.5f) * 1e-3f;
            }
        }
        return w;
    }

    /**
     * {@code rows} output rows of at least {@code n} floats, as the runtime allocates its
     * accumulator rows: each long enough that it starts 1 KiB (modulo 4 KiB) after the one before
     * (the array header is 16 bytes).  Rows of exactly 512 floats lie 2064 bytes apart, so rows
     * two apart sit 32 bytes apart modulo 4 KiB and a load of one can falsely wait on a store to
     * the other (4K aliasing); the shapes below then measure the heap's placement, not the loop.
     * The loops read the first {@code n} floats only.
     */
    public static float[][] outRows(int rows, int n) {
        final int len = n + (((1024 - 16 - 4 * n) % 4096 + 4096) % 4096) / 4;
        final float[][] y = new float[rows][];
        for (int r = 0; r < rows; r++) {
            y[r] = new float[len];
        }
        return y;
    }

    public static float[] vector(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextFloat();
        }
        return x;
    }

    // ---- Java 8 loop shapes (the portable tier's ceiling) ----

    /** {@code y += x . W}, four inputs per pass: the widest single-row shape JDK 17 vectorizes. */
    static void matvec4(float[] x, float[][] w, float[] y) {
        final int n = y.length;
        for (int k = 0; k + 3 < w.length; k += 4) {
            final float a0 = x[k];
            final float a1 = x[k + 1];
            final float a2 = x[k + 2];
            final float a3 = x[k + 3];
            final float[] v0 = w[k];
            final float[] v1 = w[k + 1];
            final float[] v2 = w[k + 2];
            final float[] v3 = w[k + 3];
            for (int j = 0; j < n; j++) {
                y[j] = (((y[j] + a0 * v0[j]) + a1 * v1[j]) + a2 * v2[j]) + a3 * v3[j];
            }
        }
    }

    /** Rows of {@code Y += X . W} in pairs, two inputs per pass (the best GEMM shape found for JDK 17). */
    static void gemm22(float[] x, float[][] w, float[][] y) {
        final int in = w.length;
        final int n = w[0].length;
        for (int r = 0; r + 1 < y.length; r += 2) {
            final float[] ya = y[r];
            final float[] yb = y[r + 1];
            final int xa = r * in;
            final int xb = xa + in;
            for (int k = 0; k + 1 < in; k += 2) {
                final float a0 = x[xa + k];
                final float a1 = x[xa + k + 1];
                final float b0 = x[xb + k];
                final float b1 = x[xb + k + 1];
                final float[] v0 = w[k];
                final float[] v1 = w[k + 1];
                for (int j = 0; j < n; j++) {
                    final float w0 = v0[j];
                    final float w1 = v1[j];
                    ya[j] = (ya[j] + a0 * w0) + a1 * w1;
                    yb[j] = (yb[j] + b0 * w0) + b1 * w1;
                }
            }
        }
    }

    /** Rows in threes, two inputs per pass (the widest body JDK 17's C2 vectorizes); a last row left out. */
    static void gemm32(float[] x, float[][] w, float[][] y) {
        final int in = w.length;
        final int n = w[0].length;
        for (int r = 0; r + 2 < y.length; r += 3) {
            final float[] ya = y[r];
            final float[] yb = y[r + 1];
            final float[] yc = y[r + 2];
            final int xa = r * in;
            final int xb = xa + in;
            final int xc = xb + in;
            for (int k = 0; k + 1 < in; k += 2) {
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
        }
    }

    // ---- the small model's LSTM step (15 units, batch 1): latency-bound loops of 60 and 15 values ----

    /** The small benchmark model's units; its gates fill 60 of each 64-float row. */
    static final int SMALL_UNITS = 15;
    static final int SMALL_ROW = 64;

    /** One LSTM step of a loop shape: gates into {@code a} from {@code proj}, then h = st[0..u), c = st[u..2u). */
    public interface Step {
        void step(float[] proj, float[][] w, float[] a, float[] st);
    }

    /**
     * A loop shape of the runtime's small LSTM step ({@link #lstmStep} at 15 units): the same
     * weights (gates i, f and o halved, as {@code LstmCell} keeps them) as rows of 64 floats, the
     * same projected input, the same flops.  Before timing, five steps of the shape and of the
     * runtime's cell from zero states must give the same state bits, else the roofline stops: a
     * shape is timed only if it does the runtime's arithmetic.
     */
    public static Case smallStep(String name, final Step shape) {
        final int u = SMALL_UNITS;
        final int g = 4 * u;
        final float[] data = lstmData(u);
        final float[][] w = new float[u][SMALL_ROW];
        for (int k = 0; k < u; k++) {
            for (int j = 0; j < g; j++) {
                final float v = data[u * g + k * g + j];
                w[k][j] = j < 2 * u || j >= 3 * u ? 0.5f * v : v;
            }
        }
        final float[] proj = vector(g, 8);
        final float[] a = new float[SMALL_ROW];
        final float[] st = new float[2 * u];
        final keras2java.runtime.LstmCell cell = lstmCell(data, u);
        final float[] p = new float[g];
        final float[] ref = new float[cell.stateSize()];
        final float[] tmp = new float[cell.scratchSize()];
        for (int s = 0; s < 5; s++) {
            System.arraycopy(proj, 0, p, 0, g);
            cell.step(p, 0, ref, 0, tmp, 0);
            shape.step(proj, w, a, st);
        }
        if (!Arrays.equals(ref, st)) {
            throw new IllegalStateException(name + ": not the runtime's LSTM step (states " + Arrays.toString(st)
                    + " against " + Arrays.toString(ref) + ")");
        }
        return new Case(name, 2.0 * u * g) {
            protected void run() {
                shape.step(proj, w, a, st);
            }
        };
    }

    /** The LSTM weights of {@link #lstmStep}: kernel, recurrent kernel, bias of {@code units} units. */
    static float[] lstmData(int units) {
        final int g = 4 * units;
        final float[] data = vector(2 * units * g + g, 7);
        for (int i = 0; i < data.length; i++) {
            data[i] = (data[i] - 0.5f) * 0.2f;
        }
        return data;
    }

    static keras2java.runtime.LstmCell lstmCell(float[] data, int units) {
        final int g = 4 * units;
        return new keras2java.runtime.LstmCell(data, 0, units * g, 2 * units * g, units, units,
                keras2java.runtime.Activation.of(keras2java.runtime.Activation.TANH),
                keras2java.runtime.Activation.of(keras2java.runtime.Activation.SIGMOID));
    }

    /** Eigen's tanh coefficients, read from the runtime's Activation (the shapes below repeat its operations). */
    static final float P0 = coefficient("TANH_P0");
    static final float P1 = coefficient("TANH_P1");
    static final float P2 = coefficient("TANH_P2");
    static final float P3 = coefficient("TANH_P3");
    static final float P4 = coefficient("TANH_P4");
    static final float P5 = coefficient("TANH_P5");
    static final float P6 = coefficient("TANH_P6");
    static final float Q0 = coefficient("TANH_Q0");
    static final float Q1 = coefficient("TANH_Q1");
    static final float Q2 = coefficient("TANH_Q2");
    static final float Q3 = coefficient("TANH_Q3");

    private static float coefficient(String field) {
        try {
            java.lang.reflect.Field f = keras2java.runtime.Activation.class.getDeclaredField(field);
            f.setAccessible(true);
            return f.getFloat(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Activation's rational interpolant at {@code c} (Java 8 operations, no clamp). */
    static float tanhOf(float c) {
        final float x2 = c * c;
        float p = x2 * P0 + P1;
        p = p * x2 + P2;
        p = p * x2 + P3;
        p = p * x2 + P4;
        p = p * x2 + P5;
        p = p * x2 + P6;
        float q = x2 * Q0 + Q1;
        q = q * x2 + Q2;
        q = q * x2 + Q3;
        return p * c / q;
    }

    /**
     * The best shape found for the small step on Java 8: the product four inputs a pass over rows
     * of 64 (a loop of 64, not 60), one tanh over the 64 gates (clamped with Math.max and min, as
     * Activation.tanh), then c, tanh(c) and h in one scalar loop of 15 (the clamp as comparisons).  With
     * {@code clamped} false, no clamp at all: wrong above |x| = 9, so not a kernel, but a bound on
     * what any valid clamp could save.
     */
    static Step smallShape8(final boolean clamped) {
        return new Step() {
            public void step(float[] proj, float[][] w, float[] a, float[] st) {
                final int u = SMALL_UNITS;
                final int n = SMALL_ROW;
                System.arraycopy(proj, 0, a, 0, 4 * u);
                int k = 0;
                for (; k + 3 < u; k += 4) {
                    final float x0 = st[k], x1 = st[k + 1], x2 = st[k + 2], x3 = st[k + 3];
                    final float[] v0 = w[k], v1 = w[k + 1], v2 = w[k + 2], v3 = w[k + 3];
                    for (int j = 0; j < n; j++) {
                        a[j] = (((a[j] + x0 * v0[j]) + x1 * v1[j]) + x2 * v2[j]) + x3 * v3[j];
                    }
                }
                for (; k < u; k++) {
                    final float x = st[k];
                    final float[] v = w[k];
                    for (int j = 0; j < n; j++) {
                        a[j] += x * v[j];
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
                    final float c = (0.5f * a[u + j] + 0.5f) * st[u + j] + (0.5f * a[j] + 0.5f) * a[2 * u + j];
                    st[u + j] = c;
                    final float t = clamped ? tanhOf(c > 9f ? 9f : (c < -9f ? -9f : c)) : tanhOf(c);
                    st[j] = (0.5f * a[3 * u + j] + 0.5f) * t;
                }
            }
        };
    }

    /** The matvec and GEMM shapes of the weights-in-L2 roofline: (in, out, rows). */
    static final int MV_IN = 256;
    static final int MV_OUT = 1024;      // 1 MiB of weights
    static final int MM_IN = 256;
    static final int MM_OUT = 512;       // 512 KiB of weights
    static final int MM_ROWS = 64;

    static List<Case> portable() {
        final float[][] wv = rows(MV_IN, MV_OUT, 1);
        final float[] x = vector(MM_ROWS * MM_IN, 2);
        final float[] y = new float[MV_OUT];
        final float[][] wm = rows(MM_IN, MM_OUT, 3);
        final float[][] ym = outRows(MM_ROWS, MM_OUT);
        List<Case> c = new ArrayList<Case>();
        c.add(new Case("shape matvec x4 (Java 8)", 2.0 * MV_IN * MV_OUT) {
            protected void run() {
                matvec4(x, wv, y);
            }
        });
        c.add(new Case("shape gemm 2 rows x 2 inputs (Java 8)", 2.0 * MM_IN * MM_OUT * MM_ROWS) {
            protected void run() {
                gemm22(x, wm, ym);
            }
        });
        c.add(new Case("shape gemm 3 rows x 2 inputs (Java 8)", 2.0 * MM_IN * MM_OUT * (MM_ROWS - MM_ROWS % 3)) {
            protected void run() {
                gemm32(x, wm, ym);
            }
        });
        c.add(smallStep("shape small LSTM step, 4 inputs a pass over rows of 64 (Java 8)", smallShape8(true)));
        c.add(smallStep("bound small LSTM step: that shape with tanh unclamped (Java 8; wrong above |x| = 9)",
                smallShape8(false)));
        return c;
    }

    /** The runtime's Linear (the active tier) at a shape: one row (addTo) or {@code rows} rows (addRows). */
    static Case linear(String name, final int in, final int out, final int rows) {
        final float[] data = vector(in * out, 5);
        for (int i = 0; i < data.length; i++) {
            data[i] = (data[i] - 0.5f) * 1e-3f;
        }
        final keras2java.runtime.Linear lin = new keras2java.runtime.Linear(data, 0, in, out, -1);
        final float[] x = vector(rows * in, 6);
        final float[] y = new float[rows * out];
        return new Case(name, 2.0 * in * out * rows) {
            protected void run() {
                if (rows == 1) {
                    lin.addTo(x, 0, y, 0);
                } else {
                    lin.addRows(x, 0, in, rows, y, 0, out);
                }
            }
        };
    }

    /**
     * The runtime's LSTM step (the active tier) at batch 1: the recurrent product of {@code units}
     * inputs and the gates.  Its flops count the product only ({@code 2 u 4u}); divide them by the
     * GFLOP/s for the nanoseconds of one step.
     */
    static Case lstmStep(String name, final int units) {
        final int g = 4 * units;
        final keras2java.runtime.LstmCell cell = lstmCell(lstmData(units), units);
        final float[] p = vector(g, 8);
        final float[] proj = p.clone();
        final float[] st = new float[cell.stateSize()];
        final float[] tmp = new float[cell.scratchSize()];
        return new Case(name, 2.0 * units * g) {
            protected void run() {
                System.arraycopy(proj, 0, p, 0, g);    // the step's projected input (the gates overwrite it)
                cell.step(p, 0, st, 0, tmp, 0);
            }
        };
    }

    /**
     * The small benchmark model's layers through the runtime (the active tier) at batch 1, as its
     * generated code calls them but without the wiring (input checks, buffers, the output's copy):
     * LSTM of 15 units over 7 steps of 11 inputs (returning sequences), LSTM of 15 units, Dense of 3
     * with softmax.  Its flops count the products only (the two input projections, 14 recurrent
     * products and the Dense: 47,130); the time includes the gates.  The generated model's time
     * against this one is what its wiring adds.
     */
    static Case smallModel(String name) {
        final int steps = 7;
        final int in = 11;
        final int u = 15;
        final int g = 4 * u;
        final int off1 = (in + u + 1) * g;
        final int off2 = off1 + (2 * u + 1) * g;
        final float[] data = vector(off2 + u * 3 + 3, 11);
        for (int i = 0; i < data.length; i++) {
            data[i] = (data[i] - 0.5f) * 0.2f;
        }
        final keras2java.runtime.Activation tanh = keras2java.runtime.Activation.of(keras2java.runtime.Activation.TANH);
        final keras2java.runtime.Activation sigmoid =
                keras2java.runtime.Activation.of(keras2java.runtime.Activation.SIGMOID);
        final keras2java.runtime.Recurrent l0 = new keras2java.runtime.Recurrent(new keras2java.runtime.LstmCell(
                data, 0, in * g, (in + u) * g, in, u, tanh, sigmoid), false, true, false);
        final keras2java.runtime.Recurrent l1 = new keras2java.runtime.Recurrent(new keras2java.runtime.LstmCell(
                data, off1, off1 + u * g, off1 + 2 * u * g, u, u, tanh, sigmoid), false, false, false);
        final keras2java.runtime.Dense l2 = new keras2java.runtime.Dense(data, off2, off2 + u * 3, u, 3,
                keras2java.runtime.Activation.of(keras2java.runtime.Activation.SOFTMAX));
        final float[] x = vector(steps * in, 12);
        final float[] s0 = new float[l0.stateSize()];
        final float[] s1 = new float[l1.stateSize()];
        final float[] y0 = new float[steps * u];
        final float[] y1 = new float[u];
        final float[] y2 = new float[3];
        final float[] ws = new float[Math.max(l0.workspaceSize(steps), l1.workspaceSize(steps))];
        return new Case(name, 2.0 * (steps * (in + u) * g + steps * 2 * u * g + u * 3)) {
            protected void run() {
                java.util.Arrays.fill(s0, 0f);   // each prediction starts from zero states
                java.util.Arrays.fill(s1, 0f);
                l0.forward(x, 0, steps, null, 0, s0, 0, y0, 0, ws, 0);
                l1.forward(y0, 0, steps, null, 0, s1, 0, y1, 0, ws, 0);
                l2.forward(y1, 0, 1, y2, 0);
            }
        };
    }

    /**
     * The runtime's Conv2D (3 x 3, same padding, relu, as the generated code builds it) on one
     * {@code h x w x in} image: the cnn_lstm benchmark model's layers.  Its flops count the product
     * only ({@code 2 h w 9 in filters}); the time includes the patch gather, the output's layout
     * and the relu.
     */
    static Case conv(String name, final int h, final int w, final int in, final int filters) {
        return conv(name, h, w, in, filters, 1);
    }

    /** {@link #conv} on {@code images} images a call (a frame chain's pass). */
    static Case conv(String name, final int h, final int w, final int in, final int filters, final int images) {
        return conv(name, h, w, in, filters, images, false);
    }

    /**
     * {@link #conv} on {@code images} images a call; with {@code pooled}, the layer and the 2 x 2
     * max pooling after it in one call ({@code Conv2D.forwardPooled}, as the generated code runs
     * a Conv2D read only by such a pooling): the same product flops, the pooling's time included.
     */
    static Case conv(String name, final int h, final int w, final int in, final int filters, final int images,
                     final boolean pooled) {
        final int k = 9 * in;
        final float[] data = vector(k * filters + filters, 9);
        for (int i = 0; i < data.length; i++) {
            data[i] = (data[i] - 0.5f) * 0.2f;
        }
        final int block = Math.max(1, (256 + w - 1) / w);
        final keras2java.runtime.Conv2D conv = new keras2java.runtime.Conv2D(data, 0, k * filters, -1, 3, 3, in, w,
                filters, filters, 1, 1, 1, 1, keras2java.runtime.Conv2D.SAME, 1, block,
                keras2java.runtime.Activation.of(keras2java.runtime.Activation.RELU));
        final float[] x = vector(images * h * w * in, 10);
        final float[] y = new float[images * h * w * filters];
        final float[] ws = new float[keras2java.runtime.Conv2D.workspaceSize(block, w, 3, 3, in, filters, 1, false)];
        return new Case(name, 2.0 * images * h * w * k * filters) {
            protected void run() {
                if (pooled) {
                    conv.forwardPooled(x, images, h, y, ws);
                } else {
                    conv.forward(x, images, h, y, h, ws);
                }
            }
        };
    }

    static List<Case> runtime() {
        List<Case> c = new ArrayList<Case>();
        c.add(linear("runtime matvec, roofline shape", MV_IN, MV_OUT, 1));
        c.add(linear("runtime gemm, roofline shape", MM_IN, MM_OUT, MM_ROWS));
        c.add(linear("runtime medium recurrent step b1 (128 x 512)", 128, 512, 1));
        c.add(linear("runtime medium recurrent step b64", 128, 512, 64));
        c.add(linear("runtime medium projection (100 x 128 x 512)", 128, 512, 100));
        c.add(linear("runtime large recurrent step b1 (512 x 2048, L3)", 512, 2048, 1));
        c.add(linear("runtime large recurrent step b64", 512, 2048, 64));
        // the small model (15 units) is latency-bound: loops of 60 and 15 values, below C2's vector loops
        c.add(lstmStep("runtime small LSTM step b1 (15 units: product 15 x 60 and gates; 1800 flops)", 15));
        c.add(smallModel("runtime small model's layers b1 (2 LSTM of 15 units over 7 steps, Dense 3; 47130 flops)"));
        c.add(lstmStep("runtime medium LSTM step b1 (128 units: product 128 x 512 and gates)", 128));
        c.add(conv("runtime cnn_lstm Conv2D 1 (64 x 64 x 3 -> 16)", 64, 64, 3, 16));
        c.add(conv("runtime cnn_lstm Conv2D 2 (32 x 32 x 16 -> 32)", 32, 32, 16, 32));
        c.add(conv("runtime cnn_lstm Conv2D 3 (16 x 16 x 32 -> 64)", 16, 16, 32, 64));
        // the model's frame chain passes 4 frames at a time (Frames.perPass): 4 such images in one chunk
        c.add(conv("runtime cnn_lstm Conv2D 3, 4 frames a call (as the model's chain)", 16, 16, 32, 64, 4));
        // its first two Conv2D layers each feed a 2 x 2 max pooling: one call for both, 4 frames a call
        c.add(conv("runtime cnn_lstm Conv2D 1 + MaxPooling2D, one call, 4 frames (as the model)", 64, 64, 3, 16, 4,
                true));
        c.add(conv("runtime cnn_lstm Conv2D 2 + MaxPooling2D, one call, 4 frames (as the model)", 32, 32, 16, 32, 4,
                true));
        return c;
    }

    @SuppressWarnings("unchecked")
    static List<Case> optional(String cls) throws Exception {
        return (List<Case>) Class.forName(cls).getMethod("cases").invoke(null);
    }

    public static void main(String[] args) throws Exception {
        final String tier = args.length > 0 ? args[0] : "portable";
        final double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 0.25;
        final int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 9;
        final String only = args.length > 3 ? args[3] : null;   // only the cases whose name holds it
        List<Case> cases = new ArrayList<Case>();
        if (tier.equals("portable")) {
            cases.addAll(portable());
        } else if (tier.equals("fma")) {
            cases.addAll(optional("RooflineFma"));
        } else {
            cases.addAll(optional("RooflineVector"));
        }
        cases.addAll(runtime());
        if (only != null) {
            for (java.util.Iterator<Case> it = cases.iterator(); it.hasNext(); ) {
                if (!it.next().name.contains(only)) {
                    it.remove();
                }
            }
        }
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        final double[][] gf = new double[cases.size()][rounds];
        final int[] reps = new int[cases.size()];
        for (int i = 0; i < cases.size(); i++) {     // warm-up, and calls per round
            Case c = cases.get(i);
            long t0 = mx.getCurrentThreadCpuTime();
            int n = 0;
            while (mx.getCurrentThreadCpuTime() - t0 < 1e9 * seconds * 2) {
                c.run();
                n++;
            }
            reps[i] = Math.max(1, n / 2);
        }
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                long t0 = mx.getCurrentThreadCpuTime();
                for (int q = 0; q < reps[i]; q++) {
                    c.run();
                }
                gf[i][r] = c.flops * reps[i] / (mx.getCurrentThreadCpuTime() - t0);
            }
        }
        System.out.println("kernels " + keras2java.runtime.Kernels.active());
        for (int i = 0; i < cases.size(); i++) {
            double[] s = gf[i].clone();
            Arrays.sort(s);
            System.out.printf("%s\t%.1f\t%.1f\t%.1f%n", cases.get(i).name, s[rounds / 2], s[0], s[rounds - 1]);
        }
    }
}
