package keras2java.runtime;

import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.Random;

/**
 * Runs every kernel that {@link Kernels} can replace over many shapes (panel
 * and vector widths, their remainders, one row, offsets) and special values,
 * and writes all results' bits to a file: {@code java KernelsProbe OUT}.  The
 * test runs it with the portable and with the vector kernels and compares the
 * files byte for byte.  Prints {@link Kernels#active()}.
 */
public final class KernelsProbe {
    private KernelsProbe() {
    }

    public static void main(String[] args) throws IOException {
        System.out.println(Kernels.active());
        DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(new FileOutputStream(args[0])));
        Random rnd = new Random(7);
        int[] sizes = {1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 60, 63, 64, 65, 100, 127, 128, 129, 192, 200, 257};
        int[] rowCounts = {1, 2, 3, 4, 5, 7, 8, 9, 13};
        int cases = 0;
        for (int in : new int[] {1, 2, 3, 4, 5, 11, 16, 33, 64}) {
            for (int outN : sizes) {
                int rows = rowCounts[cases++ % rowCounts.length];
                int ld = outN + (cases % 4 == 1 ? 5 : 0);   // some matrices are columns of a wider one
                float[] data = random(rnd, 3 + in * ld + outN);
                Linear lin = new Linear(data, 3, ld, in, outN, cases % 3 == 0 ? -1 : 3 + in * ld);
                float[] x = random(rnd, 5 + rows * in);
                float[] y = new float[2 + rows * outN];
                lin.forward(x, 5, rows, y, 2);
                write(out, y);
                float[] acc = random(rnd, 1 + outN);
                lin.addTo(x, 5, acc, 1);
                write(out, acc);
            }
        }
        // Whole recurrent layers: fused LSTM gates, GRU (both reset modes) and SimpleRNN steps over packed weights.
        for (int units : new int[] {1, 3, 15, 16, 17, 33, 64, 70, 100}) {
            int in = 1 + units % 7;
            int steps = 6;
            float[] data = random(rnd, 4 * units * (in + units + 2));
            for (int i = 0; i < data.length; i++) {
                data[i] *= 0.6f;
            }
            RnnCell[] cells = {
                new LstmCell(data, 0, in * 4 * units, (in + units) * 4 * units, in, units,
                        Activation.of(Activation.TANH), Activation.of(Activation.SIGMOID)),
                new LstmCell(data, 0, in * 4 * units, -1, in, units,
                        Activation.of(Activation.RELU), Activation.of(Activation.HARD_SIGMOID_K2)),
                new GruCell(data, 0, in * 3 * units, (in + units) * 3 * units, in, units, true,
                        Activation.of(Activation.TANH), Activation.of(Activation.SIGMOID)),
                new GruCell(data, 0, in * 3 * units, (in + units) * 3 * units, in, units, false,
                        Activation.of(Activation.TANH), Activation.of(Activation.SIGMOID)),
                new SimpleRnnCell(data, 0, in * units, (in + units) * units, in, units, Activation.of(Activation.TANH)),
            };
            for (RnnCell cell : cells) {
                Recurrent layer = new Recurrent(cell, false, true, false);
                float[] x = random(rnd, steps * in);
                x[0] = units == 17 ? Float.NaN : x[0] * 30f;
                float[] st = new float[layer.stateSize()];
                float[] y = new float[layer.outputSize(steps)];
                layer.forward(x, 0, steps, null, 0, st, 0, y, 0, new float[layer.workspaceSize(steps)], 0);
                write(out, y);
                write(out, st);
            }
        }
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
            -Float.MIN_VALUE, 1e-30f, -1e-30f, 8.999f, 9f, 9.001f, -9f, -9.001f, 20f, -20f, Float.MAX_VALUE,
            -Float.MAX_VALUE};
        for (int len : new int[] {1, 7, 15, 16, 17, 33, 100, 1000}) {
            float[] a = random(rnd, len + 2);
            for (int i = 0; i < a.length; i++) {
                a[i] = a[i] * 12f;
            }
            for (int i = 0; i < special.length && i < len; i++) {
                a[1 + (i * 7) % len] = special[i];
            }
            float[] t = a.clone();
            Activation.of(Activation.TANH).applyInPlace(t, 1, len);
            write(out, t);
            float[] s = a.clone();
            Activation.of(Activation.SIGMOID).applyInPlace(s, 1, len);
            write(out, s);
        }
        out.close();
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    private static void write(DataOutputStream out, float[] a) throws IOException {
        for (float f : a) {
            out.writeInt(Float.floatToRawIntBits(f));
        }
    }
}
