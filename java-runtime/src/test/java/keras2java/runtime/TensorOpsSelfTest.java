package keras2java.runtime;

import static keras2java.runtime.SelfTests.check;
import static keras2java.runtime.SelfTests.finish;
import static keras2java.runtime.SelfTests.test;

import java.util.Random;

/**
 * Unit tests of {@link TensorOps} (the kernels of the one tensor-op IR, which
 * {@code keras.ops} nodes and plugin primitives both use) against plain reference
 * loops, runnable without a test framework:
 * {@code java keras2java.runtime.TensorOpsSelfTest} prints "N passed, N failed"
 * and exits non-zero on failure.
 */
public final class TensorOpsSelfTest {
    public static void main(String[] args) {
        test("reverseSteps reverses rows", TensorOpsSelfTest::reverse);
        test("softmax over each axis", TensorOpsSelfTest::softmaxAxes);
        test("softmax of a large range stays finite", TensorOpsSelfTest::softmaxStable);
        test("sum, mean and max in double over each axis", TensorOpsSelfTest::reduceAxes);
        test("max propagates NaN", TensorOpsSelfTest::maxNaN);
        test("matmul in double with every transpose", TensorOpsSelfTest::matmulTransposes);
        test("broadcast (T, F) * (T, 1) with variable T", TensorOpsSelfTest::broadcastColumn);
        test("broadcast (T, F) + (F,) and (2, 1, 3) * (4, 1)", TensorOpsSelfTest::broadcastGeneral);
        test("binary rejects an unknown op", TensorOpsSelfTest::binaryUnknownOp);
        test("steady-state calls allocate nothing", TensorOpsSelfTest::noAllocation);
        test("five-axis kernels match index arithmetic", TensorOpsSelfTest::fiveAxisKernels);
        test("five-axis calls allocate nothing", TensorOpsSelfTest::fiveAxisNoAllocation);
        finish();
    }

    private static void close(float got, double want, String what) {
        check(Math.abs(got - want) <= 1e-6 * Math.max(1.0, Math.abs(want)), what + ": got " + got + ", want " + want);
    }

    /** The product of {@code shape[from, to)}: the sizes before (after) an axis for softmax and reduce. */
    private static int product(int[] shape, int from, int to) {
        int p = 1;
        for (int d = from; d < to; d++) {
            p *= shape[d];
        }
        return p;
    }

    private static float[] rand(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return v;
    }

    private static void reverse() {
        float[] x = {1, 2, 3, 4, 5, 6};
        float[] y = new float[6];
        TensorOps.reverseSteps(x, 3, 2, y);
        check(java.util.Arrays.equals(y, new float[] {5, 6, 3, 4, 1, 2}), java.util.Arrays.toString(y));
        TensorOps.reverseSteps(x, 1, 6, y);
        check(java.util.Arrays.equals(y, x), "one step is a copy");
    }

    /** x has shape (2, 3, 4); softmax over axis a is (outer, n, inner) = sizes before, at, after a. */
    private static void softmaxAxes() {
        Random r = new Random(1);
        int[] shape = {2, 3, 4};
        float[] x = rand(r, 24);
        for (int axis = 0; axis < 3; axis++) {
            int outer = product(shape, 0, axis);
            int inner = product(shape, axis + 1, shape.length);
            int n = shape[axis];
            float[] y = new float[24];
            TensorOps.softmax(x, outer, n, inner, y);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    double sum = 0;
                    for (int k = 0; k < n; k++) {
                        sum += Math.exp(x[(o * n + k) * inner + i]);
                    }
                    for (int k = 0; k < n; k++) {
                        int p = (o * n + k) * inner + i;
                        close(y[p], Math.exp(x[p]) / sum, "axis " + axis + " at " + p);
                    }
                }
            }
        }
    }

    private static void softmaxStable() {
        float[] x = {1000f, 0f, -1000f};
        float[] y = new float[3];
        TensorOps.softmax(x, 1, 3, 1, y);
        check(y[0] == 1f && y[1] == 0f && y[2] == 0f, java.util.Arrays.toString(y));
    }

    private static void reduceAxes() {
        Random r = new Random(2);
        int[] shape = {3, 2, 5};
        float[] x = rand(r, 30);
        for (int axis = 0; axis < 3; axis++) {
            int outer = product(shape, 0, axis);
            int inner = product(shape, axis + 1, shape.length);
            int n = shape[axis];
            for (int mode = TensorOps.SUM; mode <= TensorOps.MAX; mode++) {
                float[] y = new float[outer * inner];
                TensorOps.reduceInDouble(mode, x, outer, n, inner, y);
                for (int o = 0; o < outer; o++) {
                    for (int i = 0; i < inner; i++) {
                        double s = 0;
                        double m = Double.NEGATIVE_INFINITY;
                        for (int k = 0; k < n; k++) {
                            float v = x[(o * n + k) * inner + i];
                            s += v;
                            m = Math.max(m, v);
                        }
                        double want = mode == TensorOps.SUM ? s : mode == TensorOps.MEAN ? s / n : m;
                        close(y[o * inner + i], want, "mode " + mode + " axis " + axis);
                    }
                }
            }
        }
        try {
            TensorOps.reduceInDouble(7, x, 1, 30, 1, new float[1]);
            throw new AssertionError("no exception");
        } catch (IllegalArgumentException e) {
            check(e.getMessage().contains("7"), e.getMessage());
        }
    }

    private static void maxNaN() {
        float[] y = new float[1];
        TensorOps.reduceInDouble(TensorOps.MAX, new float[] {1f, Float.NaN, 3f}, 1, 3, 1, y);
        check(Float.isNaN(y[0]), "NaN expected, got " + y[0]);
        TensorOps.reduceInDouble(TensorOps.MAX, new float[] {-5f, -3f}, 1, 2, 1, y);
        check(y[0] == -3f, "max of negatives " + y[0]);
    }

    private static void matmulTransposes() {
        Random r = new Random(3);
        int m = 3;
        int k = 4;
        int n = 2;
        float[] a = rand(r, m * k);   // (m, k)
        float[] b = rand(r, k * n);   // (k, n)
        float[] at = new float[k * m];
        float[] bt = new float[n * k];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                at[p * m + i] = a[i * k + p];
            }
        }
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                bt[j * k + p] = b[p * n + j];
            }
        }
        for (int variant = 0; variant < 4; variant++) {
            boolean ta = (variant & 1) != 0;
            boolean tb = (variant & 2) != 0;
            float[] y = new float[m * n];
            TensorOps.matmulInDouble(ta ? at : a, m, k, ta, tb ? bt : b, n, tb, y);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (double) a[i * k + p] * b[p * n + j];
                    }
                    close(y[i * n + j], s, "transA=" + ta + " transB=" + tb);
                }
            }
        }
    }

    /** Sizes or strides of the generator's merged layout, padded to the five axes of {@link TensorOps}. */
    private static int[] five(int fill, int... v) {
        int[] out = new int[5];
        java.util.Arrays.fill(out, fill);
        System.arraycopy(v, 0, out, 5 - v.length, v.length);
        return out;
    }

    private static void broadcastColumn() {
        // (T, 3) * (T, 1): dims {-1, 3}, a strides {3, 1}, b strides {1, 0}
        for (int steps = 1; steps <= 4; steps++) {
            float[] a = rand(new Random(steps), steps * 3);
            float[] b = rand(new Random(10 + steps), steps);
            float[] y = new float[steps * 3];
            TensorOps.binary(TensorOps.MULTIPLY, a, five(0, 3, 1), b, five(0, 1, 0), y, five(0, 3, 1),
                    five(1, -1, 3), steps);
            for (int t = 0; t < steps; t++) {
                for (int f = 0; f < 3; f++) {
                    check(y[t * 3 + f] == a[t * 3 + f] * b[t], "steps " + steps + " at " + t + "," + f);
                }
            }
        }
    }

    private static void broadcastGeneral() {
        Random r = new Random(5);
        // (T=2, F=3) + (3,): merged into one axis is impossible (b repeats), dims {-1, 3}
        float[] a = rand(r, 6);
        float[] b = rand(r, 3);
        float[] y = new float[6];
        TensorOps.binary(TensorOps.ADD, a, five(0, 3, 1), b, five(0, 0, 1), y, five(0, 3, 1), five(1, -1, 3), 2);
        for (int t = 0; t < 2; t++) {
            for (int f = 0; f < 3; f++) {
                check(y[t * 3 + f] == a[t * 3 + f] + b[f], "add at " + t + "," + f);
            }
        }
        // (2, 1, 3) * (4, 1) -> (2, 4, 3): a strides {3, 0, 1}, b strides {0, 1, 0}
        float[] x = rand(r, 6);
        float[] z = rand(r, 4);
        float[] out = new float[24];
        TensorOps.binary(TensorOps.MULTIPLY, x, five(0, 3, 0, 1), z, five(0, 0, 1, 0), out, five(0, 12, 3, 1),
                five(1, 2, 4, 3), 0);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                for (int c = 0; c < 3; c++) {
                    check(out[(i * 4 + j) * 3 + c] == x[i * 3 + c] * z[j], "mul at " + i + "," + j + "," + c);
                }
            }
        }
    }

    private static void binaryUnknownOp() {
        try {
            TensorOps.binary(99, new float[1], five(0, 1), new float[1], five(0, 1), new float[1], five(0, 1),
                    five(1, 1), 0);
            throw new AssertionError("no exception for op 99");
        } catch (IllegalArgumentException e) {
            check(e.getMessage().contains("99"), e.getMessage());
        }
    }

    /** Bytes allocated by this thread so far (HotSpot's com.sun.management extension), or -1. */
    private static void noAllocation() throws Exception {
        Random r = new Random(6);
        final int steps = 50;
        final int f = 16;
        float[] x = rand(r, steps * f);
        float[] col = rand(r, steps);
        float[] y = new float[steps * f];
        float[] small = new float[f * f];
        final int[] dims = five(1, -1, f), xStr = five(0, f, 1), colStr = five(0, 1, 0);
        SelfTests.allocatesNothing(() -> {
            for (int i = 0; i < 200; i++) {
                TensorOps.reverseSteps(x, steps, f, y);
                TensorOps.softmax(x, 1, steps, f, y);
                TensorOps.reduceInDouble(TensorOps.MEAN, x, 1, steps, f, small);
                TensorOps.matmulInDouble(x, f, steps, true, x, f, false, small);
                TensorOps.binary(TensorOps.MULTIPLY, x, xStr, col, colStr, y, xStr, dims, steps);
            }
        });
    }

    /** The offset of the {@code i}-th index (row-major over the five axes {@code dims}) under {@code str}. */
    private static int at(int i, int[] dims, int[] str) {
        int p = 0;
        for (int axis = 4; axis >= 0; axis--) {
            p += i % dims[axis] * str[axis];
            i /= dims[axis];
        }
        return p;
    }

    /** (T, 4, 2) tensors with T = 3 variable, laid out in TensorOps' five axes as the generator passes them. */
    private static void fiveAxisKernels() {
        Random r = new Random(7);
        int[] shape = {1, 1, -1, 4, 2}, dims = {1, 1, 3, 4, 2}, full = {0, 0, 8, 2, 1}, col = {0, 0, 0, 1, 0};
        float[] a = uniform(r, 24), b = uniform(r, 4), c = new float[24], y = new float[24];
        for (int i = 0; i < 24; i++) {
            c[i] = a[i] > 0 ? 1 : 0;
        }
        TensorOps.binary(TensorOps.SUBTRACT, a, full, b, col, y, full, shape, 3);   // (T, 4, 2) - (4, 1)
        for (int i = 0; i < 24; i++) {
            check(y[i] == a[i] - b[at(i, dims, col)], "binary at " + i);
        }
        TensorOps.where(c, full, b, col, a, full, y, full, shape, 3);
        for (int i = 0; i < 24; i++) {
            check(y[i] == (a[i] > 0 ? b[i / 2 % 4] : a[i]), "where at " + i);
        }
        // timesteps 1.. of a (n0 = 2), the last two axes swapped: (T - 1, 2, 4)
        TensorOps.copy(a, 0, new int[] {0, 0, 8, 1, 2}, 1, 8, y, new int[] {0, 0, 8, 4, 1},
                new int[] {1, 1, -1, 2, 4}, 2);
        for (int i = 0; i < 16; i++) {
            check(y[i] == a[8 + i / 8 * 8 + i % 4 * 2 + i / 4 % 2], "copy at " + i);
        }
        TensorOps.reduce(TensorOps.MAX, a, full, shape, 3, y, new int[] {0, 0, 2, 0, 1}, 6);   // over the 4
        for (int t = 0; t < 3; t++) {
            for (int f = 0; f < 2; f++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < 4; k++) {
                    m = Math.max(m, a[t * 8 + k * 2 + f]);
                }
                check(y[t * 2 + f] == m, "max at " + t + ", " + f);
            }
        }
        TensorOps.reduce(TensorOps.MEAN, a, full, shape, 3, y, new int[] {0, 0, 0, 2, 1}, 8);  // over T
        for (int j = 0; j < 8; j++) {
            check(y[j] == (a[j] + a[8 + j] + a[16 + j]) / 3f, "mean at " + j);
        }
        // (T, 2, 4) . (4, 3): the one b over every timestep
        float[] w = uniform(r, 12);
        TensorOps.matmul(a, new int[] {0, 0, 0, 0, 8}, w, new int[5], y, new int[] {0, 0, 0, 0, 6},
                new int[] {1, 1, 1, 1, -1}, 3, 2, 4, 3);
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    double s = 0;   // TensorOps sums each output in double
                    for (int k = 0; k < 4; k++) {
                        s += (double) a[t * 8 + i * 4 + k] * w[k * 3 + j];
                    }
                    check(y[t * 6 + i * 3 + j] == (float) s, "matmul at " + t + ", " + i + ", " + j);
                }
            }
        }
    }

    private static void fiveAxisNoAllocation() throws Exception {
        Random r = new Random(8);
        final int[] shape = {1, 1, -1, 4, 2}, full = {0, 0, 8, 2, 1}, col = {0, 0, 0, 1, 0}, out = {0, 0, 2, 0, 1};
        final float[] a = uniform(r, 40), b = uniform(r, 4), y = new float[40];
        SelfTests.allocatesNothing(() -> {
            for (int i = 0; i < 250; i++) {
                TensorOps.binary(TensorOps.ADD, a, full, b, col, y, full, shape, 5);
                TensorOps.where(a, full, a, full, b, col, y, full, shape, 5);
                TensorOps.copy(a, 0, full, 0, 0, y, full, shape, 5);
                TensorOps.reduce(TensorOps.MEAN, a, full, shape, 5, y, out, 10);
            }
        });
    }

    private static float[] uniform(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }
}
