package keras2java.runtime;

import static keras2java.runtime.SelfTests.check;
import static keras2java.runtime.SelfTests.finish;
import static keras2java.runtime.SelfTests.test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Unit tests of the runtime kernels, runnable without any test framework:
 * {@code java keras2java.runtime.RuntimeSelfTest} exits non-zero on failure and
 * prints "N passed, N failed".
 */
public final class RuntimeSelfTest {
    public static void main(String[] args) {
        test("base64 weights round trip", RuntimeSelfTest::base64RoundTrip);
        test("corrupted weights name the checksum", RuntimeSelfTest::corruptedWeights);
        test("missing resource is named", RuntimeSelfTest::missingResource);
        test("input checks say what was expected", RuntimeSelfTest::inputChecks);
        test("matmul matches a plain triple loop", RuntimeSelfTest::matmul);
        test("vec-mat accumulates", RuntimeSelfTest::vecMat);
        test("permute matches index arithmetic", RuntimeSelfTest::permute);
        test("softmax rows sum to one", RuntimeSelfTest::softmaxRows);
        test("relu parameters", RuntimeSelfTest::reluParams);
        test("NaN propagates", RuntimeSelfTest::nanPropagates);
        test("tanh's two clamps give the same bits", RuntimeSelfTest::tanhClamps);
        finish();
    }

    private static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private static String encode(float[] v) {
        return java.util.Base64.getEncoder().encodeToString(bytes(v));
    }

    private static void base64RoundTrip() {
        float[] v = {1.5f, -0f, Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, Float.intBitsToFloat(0x7fc00123)};
        float[] got = Weights.fromBase64(new String[] {encode(v)}, v.length, Weights.sha256(bytes(v)), "T");
        for (int i = 0; i < v.length; i++) {
            check(Float.floatToRawIntBits(got[i]) == Float.floatToRawIntBits(v[i]), "bit-exact at " + i);
        }
    }

    private static void corruptedWeights() {
        float[] v = {1f, 2f, 3f};
        try {
            Weights.fromBase64(new String[] {encode(new float[] {1f, 2f, 4f})}, 3, Weights.sha256(bytes(v)), "MyModel");
            throw new AssertionError("no exception");
        } catch (IllegalStateException e) {
            check(e.getMessage().contains("MyModel") && e.getMessage().contains("SHA-256"), e.getMessage());
        }
    }

    private static void missingResource() {
        try {
            Weights.fromResource(RuntimeSelfTest.class, "Nope.weights", 3, "00");
            throw new AssertionError("no exception");
        } catch (IllegalStateException e) {
            check(e.getMessage().contains("Nope.weights") && e.getMessage().contains("missing"), e.getMessage());
        }
    }

    private static void inputChecks() {
        try {
            Check.fixed(new float[5], 77, "input 0 (frames)", "[7, 11]");
            throw new AssertionError("no exception");
        } catch (IllegalArgumentException e) {
            check(e.getMessage().contains("[7, 11]") && e.getMessage().contains("got 5"), e.getMessage());
        }
        try {
            Check.timesteps(new float[0], 11, "input 0", "[timesteps, 11]");
            throw new AssertionError("no exception");
        } catch (IllegalArgumentException e) {
            check(e.getMessage().contains("empty"), e.getMessage());
        }
        try {
            Check.fixed(null, 77, "input 0", "[7, 11]");
            throw new AssertionError("no exception");
        } catch (IllegalArgumentException e) {
            check(e.getMessage().contains("null"), e.getMessage());
        }
        check(Check.timesteps(new float[33], 11, "x", "s") == 3, "3 steps");
    }

    private static void matmul() {
        Random r = new Random(1);
        for (int rows : new int[] {1, 3, 8, 40, 300}) {   // 40, 300: the transposed path of narrow matrices
            for (int in : new int[] {1, 3, 4, 7, 17}) {
                for (int out : new int[] {1, 5, 16, 33}) {
                    for (int ld : new int[] {out, out + 3}) {
                        float[] x = rand(r, rows * in + 2);
                        float[] w = rand(r, in * ld + 3);
                        float[] b = rand(r, out + 2);
                        float[] data = new float[w.length + b.length];
                        System.arraycopy(w, 0, data, 0, w.length);
                        System.arraycopy(b, 0, data, w.length, b.length);
                        float[] y = new float[rows * out + 1];
                        new Linear(data, 3, ld, in, out, w.length + 2).forward(x, 2, rows, y, 1);
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < out; j++) {
                                double s = b[2 + j];
                                for (int k = 0; k < in; k++) {
                                    s += (double) x[2 + i * in + k] * w[3 + k * ld + j];
                                }
                                check(Math.abs(y[1 + i * out + j] - s) < 1e-5,
                                        "matmul " + rows + "x" + in + "x" + out + " ld " + ld);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void vecMat() {
        Random r = new Random(2);
        float[] v = rand(r, 9);
        float[] w = rand(r, 9 * 8);
        float[] y = {1, 1, 1, 1, 1, 1};
        new Linear(w, 1, 8, 9, 6, -1).addTo(v, 0, y, 0);
        for (int j = 0; j < 6; j++) {
            double s = 1;
            for (int k = 0; k < 9; k++) {
                s += (double) v[k] * w[1 + k * 8 + j];
            }
            check(Math.abs(y[j] - s) < 1e-5, "vecmat " + j);
        }
    }

    private static void permute() {
        Random r = new Random(3);
        int[][] shapes = {{4}, {3, 5}, {2, 3, 4}, {2, 1, 3, 2}};
        int[][][] perms = {{{0}}, {{1, 0}, {0, 1}}, {{2, 0, 1}, {1, 2, 0}, {0, 2, 1}}, {{3, 1, 0, 2}, {1, 3, 2, 0}}};
        for (int c = 0; c < shapes.length; c++) {
            int[] shape = shapes[c];
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            float[] x = rand(r, n);
            for (int[] perm : perms[c]) {
                float[] y = new float[n];
                Permute.apply(x, shape, perm, y);
                // y[i_0, .., i_{r-1}] = x[j] with j_{perm[a]} = i_a
                int[] idx = new int[shape.length];
                for (int i = 0; i < n; i++) {
                    int rest = i;
                    for (int a = shape.length - 1; a >= 0; a--) {
                        idx[perm[a]] = rest % shape[perm[a]];
                        rest /= shape[perm[a]];
                    }
                    int src = 0;
                    for (int a = 0; a < shape.length; a++) {
                        src = src * shape[a] + idx[a];
                    }
                    check(y[i] == x[src], "permute " + java.util.Arrays.toString(perm) + " at " + i);
                }
            }
        }
    }

    private static void softmaxRows() {
        float[] a = {1, 2, 3, 1000, 1000, 1000};
        Activation.of(Activation.SOFTMAX).applyRows(a, 0, 2, 3);
        check(Math.abs(a[0] + a[1] + a[2] - 1) < 1e-6 && a[2] > a[1], "row 0");
        check(Math.abs(a[3] - 1f / 3) < 1e-6, "row 1 without overflow");
    }

    private static void reluParams() {
        Activation a = Activation.relu(0.1f, 0.7f, 0.2f);
        check(a.apply(0.5f) == 0.5f, "between threshold and max");
        check(a.apply(2f) == 0.7f, "clipped");
        check(Math.abs(a.apply(0.1f) - (-0.1f * 0.1f)) < 1e-7, "below threshold: -slope*(threshold-x)");
    }

    private static void nanPropagates() {
        for (int k = Activation.LINEAR; k <= Activation.MISH; k++) {
            if (k == Activation.HARD_SIGMOID_K2 || k == Activation.HARD_SIGMOID_K3
                    || k == Activation.HARD_SILU_K3) {
                continue; // clipping kinds: NaN behaviour follows the backend's max/min; covered by model tests
            }
            float y = Activation.of(k).apply(Float.NaN);
            check(Float.isNaN(y), "kind " + k + " gives NaN for NaN");
        }
    }

    private static float[] rand(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** Activation.tanhShort (comparisons, for scalar loops) is Activation.tanh (max/min) bit for bit. */
    private static void tanhClamps() {
        final float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, 8.999999f, 9f, Math.nextUp(9f), -9f, Math.nextDown(-9f),
            Float.MAX_VALUE, -Float.MAX_VALUE};
        final Random rnd = new Random(7);
        for (int i = 0; i < 200000; i++) {
            final float x = i < special.length ? special[i] : (float) (rnd.nextGaussian() * (i % 3 == 0 ? 20 : 3));
            final int a = Float.floatToRawIntBits(Activation.tanh(x));
            final int b = Float.floatToRawIntBits(Activation.tanhShort(x));
            check(a == b || (Float.isNaN(Activation.tanh(x)) && Float.isNaN(Activation.tanhShort(x))),
                    "tanh(" + x + "): " + Activation.tanh(x) + " vs " + Activation.tanhShort(x));
        }
    }
}
