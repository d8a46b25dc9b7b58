package keras2java.runtime;

import static keras2java.runtime.SelfTests.check;
import static keras2java.runtime.SelfTests.finish;
import static keras2java.runtime.SelfTests.test;

import java.util.Random;

/**
 * Unit tests of the plugin primitives ({@link Tensors}, {@link Broadcast}) against
 * plain reference loops, runnable without a test framework:
 * {@code java keras2java.runtime.TensorsSelfTest} prints "N passed, N failed"
 * and exits non-zero on failure.
 */
public final class TensorsSelfTest {
    public static void main(String[] args) {
        test("reverseSteps reverses rows", TensorsSelfTest::reverse);
        test("softmax over each axis", TensorsSelfTest::softmaxAxes);
        test("softmax of a large range stays finite", TensorsSelfTest::softmaxStable);
        test("sum, mean and max over each axis", TensorsSelfTest::reduceAxes);
        test("max propagates NaN", TensorsSelfTest::maxNaN);
        test("matmul with every transpose", TensorsSelfTest::matmulTransposes);
        test("broadcast (T, F) * (T, 1) with variable T", TensorsSelfTest::broadcastColumn);
        test("broadcast (T, F) + (F,) and (2, 1, 3) * (4, 1)", TensorsSelfTest::broadcastGeneral);
        test("broadcast rejects bad layouts", TensorsSelfTest::broadcastBadLayout);
        test("steady-state calls allocate nothing", TensorsSelfTest::noAllocation);
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
        Tensors.reverseSteps(x, 3, 2, y);
        check(java.util.Arrays.equals(y, new float[] {5, 6, 3, 4, 1, 2}), java.util.Arrays.toString(y));
        Tensors.reverseSteps(x, 1, 6, y);
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
            Tensors.softmax(x, outer, n, inner, y);
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
        Tensors.softmax(x, 1, 3, 1, y);
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
            for (int mode = Tensors.SUM; mode <= Tensors.MAX; mode++) {
                float[] y = new float[outer * inner];
                Tensors.reduce(mode, x, outer, n, inner, y);
                for (int o = 0; o < outer; o++) {
                    for (int i = 0; i < inner; i++) {
                        double s = 0;
                        double m = Double.NEGATIVE_INFINITY;
                        for (int k = 0; k < n; k++) {
                            float v = x[(o * n + k) * inner + i];
                            s += v;
                            m = Math.max(m, v);
                        }
                        double want = mode == Tensors.SUM ? s : mode == Tensors.MEAN ? s / n : m;
                        close(y[o * inner + i], want, "mode " + mode + " axis " + axis);
                    }
                }
            }
        }
        try {
            Tensors.reduce(7, x, 1, 30, 1, new float[1]);
            throw new AssertionError("no exception");
        } catch (IllegalArgumentException e) {
            check(e.getMessage().contains("7"), e.getMessage());
        }
    }

    private static void maxNaN() {
        float[] y = new float[1];
        Tensors.reduce(Tensors.MAX, new float[] {1f, Float.NaN, 3f}, 1, 3, 1, y);
        check(Float.isNaN(y[0]), "NaN expected, got " + y[0]);
        Tensors.reduce(Tensors.MAX, new float[] {-5f, -3f}, 1, 2, 1, y);
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
            Tensors.matmul(ta ? at : a, m, k, ta, tb ? bt : b, n, tb, y);
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

    private static void broadcastColumn() {
        // (T, 3) * (T, 1): dims {-1, 3}, a strides {3, 1}, b strides {1, 0}
        Broadcast mul = new Broadcast(Broadcast.MULTIPLY, new int[] {-1, 3}, new int[] {3, 1}, new int[] {1, 0});
        for (int steps = 1; steps <= 4; steps++) {
            float[] a = rand(new Random(steps), steps * 3);
            float[] b = rand(new Random(10 + steps), steps);
            float[] y = new float[steps * 3];
            mul.apply(a, b, steps, y);
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
        Broadcast add = new Broadcast(Broadcast.ADD, new int[] {-1, 3}, new int[] {3, 1}, new int[] {0, 1});
        float[] a = rand(r, 6);
        float[] b = rand(r, 3);
        float[] y = new float[6];
        add.apply(a, b, 2, y);
        for (int t = 0; t < 2; t++) {
            for (int f = 0; f < 3; f++) {
                check(y[t * 3 + f] == a[t * 3 + f] + b[f], "add at " + t + "," + f);
            }
        }
        // (2, 1, 3) * (4, 1) -> (2, 4, 3): a strides {3, 0, 1}, b strides {0, 1, 0}
        Broadcast mul = new Broadcast(Broadcast.MULTIPLY, new int[] {2, 4, 3}, new int[] {3, 0, 1}, new int[] {0, 1, 0});
        float[] x = rand(r, 6);
        float[] z = rand(r, 4);
        float[] out = new float[24];
        mul.apply(x, z, 0, out);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                for (int c = 0; c < 3; c++) {
                    check(out[(i * 4 + j) * 3 + c] == x[i * 3 + c] * z[j], "mul at " + i + "," + j + "," + c);
                }
            }
        }
    }

    private static void broadcastBadLayout() {
        int[][][] bad = {
            {{2, 3}, {1}, {1, 0}},          // stride count differs
            {{2, -1}, {1, 1}, {1, 1}},      // only the first axis may vary
            {{}, {}, {}},                   // no axes
        };
        for (int[][] layout : bad) {
            try {
                new Broadcast(Broadcast.ADD, layout[0], layout[1], layout[2]);
                throw new AssertionError("no exception for " + java.util.Arrays.deepToString(layout));
            } catch (IllegalArgumentException e) {
                check(e.getMessage().startsWith("broadcast layout"), e.getMessage());
            }
        }
        try {
            new Broadcast(9, new int[] {1}, new int[] {1}, new int[] {1});
            throw new AssertionError("no exception for mode 9");
        } catch (IllegalArgumentException e) {
            check(e.getMessage().contains("9"), e.getMessage());
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
        Broadcast mul = new Broadcast(Broadcast.MULTIPLY, new int[] {-1, f}, new int[] {f, 1}, new int[] {1, 0});
        SelfTests.allocatesNothing(() -> {
            for (int i = 0; i < 200; i++) {
                Tensors.reverseSteps(x, steps, f, y);
                Tensors.softmax(x, 1, steps, f, y);
                Tensors.reduce(Tensors.MEAN, x, 1, steps, f, small);
                Tensors.matmul(x, f, steps, true, x, f, false, small);
                mul.apply(x, col, steps, y);
            }
        });
    }
}
