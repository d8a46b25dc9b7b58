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
 * files value by value (the vector kernels use fused multiply-add, so the low
 * bits differ).  The probe itself checks, with whichever kernels run, that a
 * row's result does not depend on the rows computed with it (a batch gives each
 * row the bits of that row alone), that a one-row product called twice gives
 * the same bits (the vector kernels alternate their direction), and that whole
 * recurrent layers on a batch ({@code forwardBatch}, masked and not) give each
 * sample its one-sample result within 1e-6; it fails otherwise.  Prints
 * {@link Kernels#active()}.
 */
public final class KernelsProbe {
    private KernelsProbe() {
    }

    public static void main(String[] args) throws IOException {
        System.out.println(Kernels.active());
        DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(new FileOutputStream(args[0])));
        Random rnd = new Random(7);
        int[] sizes = {1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 60, 63, 64, 65, 100, 127, 128, 129, 192, 200, 257, 600};
        int[] rowCounts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};   // the vector kernels block 6 and 4 rows
        int cases = 0;
        // 300: several column blocks; 1500: a long product, in slices (Linear.LONG)
        for (int in : new int[] {1, 2, 3, 4, 5, 7, 11, 16, 33, 64, 300, 1500}) {
            for (int outN : in > Linear.LONG ? new int[] {1, 17, 65, 200} : sizes) {
                int rows = rowCounts[cases++ % rowCounts.length];
                int ld = outN + (cases % 4 == 1 ? 5 : 0);   // some matrices are columns of a wider one
                float[] data = weights(rnd, 3 + in * ld + outN, in);
                Linear lin = new Linear(data, 3, ld, in, outN, cases % 3 == 0 ? -1 : 3 + in * ld);
                float[] x = random(rnd, 5 + rows * in);
                float[] y = new float[2 + rows * outN];
                lin.forward(x, 5, rows, y, 2);
                write(out, y);
                float[] acc = random(rnd, 1 + outN);
                float[] again = acc.clone();
                lin.addTo(x, 5, acc, 1);
                write(out, acc);
                // a second call (the vector kernels go over their panels the other way round): the same bits
                lin.addTo(x, 5, again, 1);
                for (int j = 0; j <= outN; j++) {
                    if (Float.floatToRawIntBits(again[j]) != Float.floatToRawIntBits(acc[j])) {
                        throw new IllegalStateException("addTo (" + in + " x " + outN
                                + ") called twice differs at column " + (j - 1));
                    }
                }
                // rows of a batch (outputs ldy apart) against each row alone: the same bits
                final int ldy = outN + 3;
                float[] yb = random(rnd, 1 + rows * ldy);
                float[] y0 = yb.clone();
                lin.addRows(x, 5, in, rows, yb, 1, ldy);
                write(out, yb);
                for (int r = 0; r < rows; r++) {
                    float[] one = java.util.Arrays.copyOfRange(y0, 1 + r * ldy, 1 + r * ldy + outN);
                    lin.addTo(x, 5 + r * in, one, 0);
                    for (int j = 0; j < outN; j++) {
                        if (Float.floatToRawIntBits(one[j]) != Float.floatToRawIntBits(yb[1 + r * ldy + j])) {
                            throw new IllegalStateException("addRows row " + r + " of " + rows + " (" + in + " x "
                                    + outN + ") differs from the row alone at column " + j);
                        }
                    }
                }
            }
        }
        // Many rows of a narrow matrix (a convolution's pixels): Linear.forward takes the kernels' transposed
        // path (matmulT) where they have one; each row must have the bits of that row alone (matmul, one row).
        for (int in : new int[] {1, 3, 5, 27, 64, 144, 1100}) {
            for (int outN : in > Linear.LONG ? new int[] {1, 17, 64} : new int[] {1, 2, 5, 16, 17, 32, 63, 64, 65}) {
                int rows = in % 2 == 0 ? 1100 : 40;   // 1100: more than one pass of matmulT's rows
                float[] data = weights(rnd, 2 + in * outN + outN, in);
                Linear lin = new Linear(data, 2, in, outN, outN % 3 == 0 ? -1 : 2 + in * outN);
                float[] x = random(rnd, 3 + rows * in);
                if (outN == 17) {
                    x[3 + in] = Float.NaN;
                }
                float[] y = new float[1 + rows * outN];
                lin.forward(x, 3, rows, y, 1);
                write(out, y);
                for (int r = 0; r < rows; r += 7) {
                    float[] one = new float[outN];
                    lin.forward(x, 3 + r * in, 1, one, 0);
                    for (int j = 0; j < outN; j++) {
                        if (Float.floatToRawIntBits(one[j]) != Float.floatToRawIntBits(y[1 + r * outN + j])) {
                            throw new IllegalStateException("forward of " + rows + " rows (" + in + " x " + outN
                                    + "), row " + r + " differs from the row alone at column " + j);
                        }
                    }
                }
            }
        }
        // The product of transposed rows (a convolution's patches, gathered transposed) against Linear.forward one
        // row at a time, bit for bit, written as rows and as channel planes, all the columns or a share from
        // column 4 (intra-op threads share them in fours), wherever the kernels have it: column counts around
        // the vector kernels' blocks of four columns, row counts around their blocks of four vectors.
        int transposedShapes = 0;
        for (int in : new int[] {1, 3, 27, 144}) {
            for (int outN : new int[] {1, 3, 4, 5, 7, 16, 17, 32}) {
                if (!Kernels.ACTIVE.transposesPatches(Integer.MAX_VALUE, in, outN)) {
                    continue;
                }
                transposedShapes++;
                float[] data = weights(rnd, in * outN + outN, in);
                Linear lin = new Linear(data, 0, in, outN, in * outN);
                float[] wT = new float[in * outN];
                for (int k = 0; k < in; k++) {
                    for (int j = 0; j < outN; j++) {
                        wT[j * in + k] = data[k * outN + j];
                    }
                }
                float[] bias = java.util.Arrays.copyOfRange(data, in * outN, in * outN + outN);
                for (int n : new int[] {1, 15, 16, 17, 63, 64, 65, 100, 1024}) {
                    float[] x = random(rnd, n * in);
                    float[][] t = Kernels.ACTIVE.transposedRows(in);
                    for (int k = 0; k < in; k++) {
                        for (int p = 0; p < n; p++) {
                            t[k][p] = x[p * in + k];
                        }
                    }
                    int j0 = outN > 4 ? 4 : 0;
                    float[] rows = new float[2 + n * outN];
                    java.util.Arrays.fill(rows, Float.NaN);
                    Kernels.ACTIVE.matmulTransposed(t, n, in, wT, bias, outN, rows, 2, 0, 0, outN);
                    float[] planes = new float[1 + outN * (n + 3)];
                    java.util.Arrays.fill(planes, Float.NaN);
                    Kernels.ACTIVE.matmulTransposed(t, n, in, wT, bias, outN, planes, 1, n + 3, j0, outN);
                    for (int p = 0; p < n; p++) {
                        float[] one = new float[outN];
                        lin.forward(x, p * in, 1, one, 0);
                        for (int j = 0; j < outN; j++) {
                            int bits = Float.floatToRawIntBits(one[j]);
                            float plane = planes[1 + j * (n + 3) + p];
                            if (Float.floatToRawIntBits(rows[2 + p * outN + j]) != bits
                                    || (j < j0 ? !Float.isNaN(plane) : Float.floatToRawIntBits(plane) != bits)) {
                                throw new IllegalStateException("matmulTransposed (" + n + " x " + in + " x " + outN
                                        + ") differs from the row alone at row " + p + ", column " + j);
                            }
                        }
                    }
                }
            }
        }
        System.err.println("products of transposed rows checked: " + transposedShapes);
        int planeLayers = 0;
        // Convolutions over images of one chunk of pixels or a few (with intra-op threads: chunks shared out, or,
        // with fewer chunks than threads, each chunk's columns), and over several small images in one chunk (13
        // images of 90 pixels: 11 in the first chunk, 2 in the next): 3 x 3 same (a patch row is a run), valid,
        // strides 2.
        for (int filters : new int[] {7, 24, 40}) {
            for (int images : new int[] {1, 2, 13}) {
                for (int shape = 0; shape < 3; shape++) {
                    // 50 x 25: more than one chunk of pixels (1250 same, 1104 valid), chunks ending mid-row
                    int h = shape == 0 ? 9 : 50;
                    int w = shape == 0 ? 10 : 25;
                    int stride = shape == 2 ? 2 : 1;
                    int padding = shape == 1 ? Conv2D.VALID : Conv2D.SAME;
                    int in = 5;
                    float[] data = random(rnd, 9 * in * filters + filters);
                    Conv2D conv = new Conv2D(data, 0, 9 * in * filters, -1, 3, 3, in, w, filters, filters, stride,
                            stride, 1, 1, padding, 1, 4, Activation.of(Activation.RELU));
                    int outH = Conv2D.outSize(h, 3, stride, 1, padding, "probe");
                    int outW = Conv2D.outSize(w, 3, stride, 1, padding, "probe");
                    float[] x = random(rnd, images * h * w * in);
                    float[] y = new float[images * outH * outW * filters];
                    float[] ws = new float[Conv2D.workspaceSize(4, outW, 3, 3, in, filters, 1, false)];
                    conv.forward(x, images, h, y, outH, ws);
                    write(out, y);
                    if (checkPlanes(conv, x, images, h, w, in, y, outH, outW, filters, ws)) {
                        planeLayers++;
                    }
                }
            }
        }
        System.err.println("convolutions checked on channel planes: " + planeLayers);
        // Conv2D and a 2 x 2 max pooling in one pass (forwardPooled) against the two layers one after the other,
        // bit for bit: same padding and even sizes (runs of stacked phase planes; 13 small images share a chunk,
        // 80 x 60 spans chunks), odd sizes and valid padding (a copy per grid row), dilation 2, one input
        // channel, 120 input channels (a long product, in slices), odd sizes over more pixels.  Where threads share
        // the layer, or the kernels multiply rows in place and keep no transposed copy for this pass (dilation, a
        // long product): the two layers.
        int pooledLayers = 0;
        int[][] pooledShapes = {{16, 12, Conv2D.SAME, 1, 5}, {80, 60, Conv2D.SAME, 1, 3}, {9, 10, Conv2D.SAME, 1, 4},
            {11, 14, Conv2D.VALID, 1, 5}, {30, 25, Conv2D.VALID, 2, 6}, {12, 16, Conv2D.SAME, 2, 1},
            {16, 12, Conv2D.SAME, 1, 120},   // 1080 inputs per output: a long product (Linear.LONG)
            {31, 27, Conv2D.VALID, 1, 4}, {21, 19, Conv2D.SAME, 1, 2}};   // odd sizes, one pass
        for (int filters : new int[] {7, 24}) {
            for (int images : new int[] {1, 13}) {
                for (int[] shape : pooledShapes) {
                    int h = shape[0];
                    int w = shape[1];
                    int padding = shape[2];
                    int dil = shape[3];
                    int in = shape[4];
                    float[] data = weights(rnd, 9 * in * filters + filters, 9 * in);
                    Conv2D conv = new Conv2D(data, 0, 9 * in * filters, -1, 3, 3, in, w, filters, filters, 1, 1, dil,
                            dil, padding, 1, 4, Activation.of(Activation.RELU));
                    int outH = Conv2D.outSize(h, 3, 1, dil, padding, "probe");
                    int outW = Conv2D.outSize(w, 3, 1, dil, padding, "probe");
                    float[] x = random(rnd, images * h * w * in);
                    float[] y = new float[images * outH * outW * filters];
                    float[] ws = new float[Conv2D.workspaceSize(4, outW, 3, 3, in, filters, 1, false)];
                    conv.forward(x, images, h, y, outH, ws);
                    float[] want = new float[images * (outH / 2) * (outW / 2) * filters];
                    Image2D.pool(Image2D.MAX, y, images, outH, outW, filters, 2, 2, 2, 2, false, want, outH / 2,
                            outW / 2);
                    float[] got = new float[want.length];
                    java.util.Arrays.fill(got, Float.NaN);
                    conv.forwardPooled(x, images, h, got, ws);
                    for (int i = 0; i < got.length; i++) {
                        if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                            throw new IllegalStateException("Conv2D + pooling in one pass (" + images + " x " + h
                                    + " x " + w + " x " + in + " -> " + filters + ") differs at " + i + ": " + got[i]
                                    + " vs " + want[i]);
                        }
                    }
                    write(out, got);
                    if (conv.pooled(h)) {
                        pooledLayers++;
                        checkPooledPlanes(conv, x, images, h, w, in, want, (outH / 2) * (outW / 2), filters, ws);
                    } else {
                        try {
                            conv.forwardPooled(x, images, h, got, ws, false, true);
                            throw new IllegalStateException("planes accepted where pooled(" + h + ") is false");
                        } catch (IllegalStateException expected) {
                            if (expected.getMessage().startsWith("planes accepted")) {
                                throw expected;
                            }
                        }
                    }
                }
            }
        }
        System.err.println("convolutions pooled in one pass: " + pooledLayers);
        // Whole recurrent layers: fused LSTM gates, GRU (both reset modes) and SimpleRNN steps over packed weights.
        for (int units : new int[] {1, 3, 15, 16, 17, 33, 64, 70, 100}) {
            int in = 1 + units % 7;
            int steps = 6;
            float[] data = random(rnd, 4 * units * (in + units + 2));
            // Weights of a stable layer (pre-activations of order one): in a chaotic one (relu,
            // large gains) the last-bit differences of FMA would grow over the steps.
            final float scale = 1.2f / (float) Math.sqrt(in + units);
            for (int i = 0; i < data.length; i++) {
                data[i] *= scale;
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
                // The same layer on a batch of samples, some with masked steps, against each alone.
                for (int b : new int[] {1, 3, 6}) {
                    Recurrent masked = new Recurrent(cell, b == 3, true, b == 6);
                    float[] xb = random(rnd, b * steps * in);
                    float[] mb = new float[b * steps];
                    for (int i = 0; i < mb.length; i++) {
                        mb[i] = (i * 7 + b) % 5 == 0 ? 0f : 1f;
                    }
                    float[] yb = new float[b * masked.outputSize(steps)];
                    masked.forwardBatch(xb, 0, b, steps, mb, 0, yb, 0, new float[masked.batchWorkspaceSize(b, steps)], 0);
                    write(out, yb);
                    for (int r = 0; r < b; r++) {
                        float[] y1 = new float[masked.outputSize(steps)];
                        masked.forward(xb, r * steps * in, steps, mb, r * steps, new float[masked.stateSize()], 0,
                                y1, 0, new float[masked.workspaceSize(steps)], 0);
                        for (int j = 0; j < y1.length; j++) {
                            float a = y1[j];
                            float c = yb[r * y1.length + j];
                            if (!(Math.abs(a - c) <= 1e-6f * Math.max(1f, Math.abs(a))) && !(a != a && c != c)) {
                                throw new IllegalStateException("forwardBatch sample " + r + " of " + b + " ("
                                        + units + " units) differs from forward: " + c + " vs " + a);
                            }
                        }
                    }
                }
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

    /**
     * {@link #random} values for a matrix of {@code in} inputs: for a long product ({@link Linear#LONG}),
     * scaled by {@code 1 / sqrt(in)}, so that its outputs are of order one (Gaussian weights and inputs
     * give sums of about {@code sqrt(in)}, whose rounding in two tiers then differs by more than the
     * probe's tolerance, as a trained layer's would not).
     */
    private static float[] weights(Random rnd, int n, int in) {
        final float[] a = random(rnd, n);
        if (in > Linear.LONG) {
            final float scale = (float) (1 / Math.sqrt(in));
            for (int i = 0; i < n; i++) {
                a[i] *= scale;
            }
        }
        return a;
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    /**
     * Where the layer works on channel planes (the kernels that multiply transposed rows), the
     * same bits with planes in, out and both (true); elsewhere the planes are refused (false).
     */
    private static boolean checkPlanes(Conv2D conv, float[] x, int images, int h, int w, int in, float[] y, int outH,
                                    int outW, int filters, float[] ws) {
        float[] yp = new float[y.length];
        if (!conv.planes(h)) {
            try {
                conv.forward(x, images, h, yp, outH, ws, false, true);
            } catch (IllegalStateException expected) {
                return false;
            }
            throw new IllegalStateException("planes accepted where planes(" + h + ") is false");
        }
        float[] xp = planes(x, images, h * w, in);
        float[] want = planes(y, images, outH * outW, filters);
        boolean[][] modes = {{true, false}, {false, true}, {true, true}};
        for (boolean[] m : modes) {
            java.util.Arrays.fill(yp, Float.NaN);
            conv.forward(m[0] ? xp : x, images, h, yp, outH, ws, m[0], m[1]);
            float[] got = m[1] ? yp : planes(yp, images, outH * outW, filters);
            for (int i = 0; i < got.length; i++) {
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                    throw new IllegalStateException("Conv2D with planes in " + m[0] + ", out " + m[1]
                            + " differs from channels last at " + i);
                }
            }
        }
        return true;
    }

    /**
     * {@link Conv2D#forwardPooled} with channel planes in, out and both: the bits of the
     * channels-last call ({@code want}, pooled maps of {@code pooled} pixels).
     */
    private static void checkPooledPlanes(Conv2D conv, float[] x, int images, int h, int w, int in, float[] want,
                                          int pooled, int filters, float[] ws) {
        float[] xp = planes(x, images, h * w, in);
        float[] wantPlanes = planes(want, images, pooled, filters);
        float[] yp = new float[want.length];
        boolean[][] modes = {{true, false}, {false, true}, {true, true}};
        for (boolean[] m : modes) {
            java.util.Arrays.fill(yp, Float.NaN);
            conv.forwardPooled(m[0] ? xp : x, images, h, yp, ws, m[0], m[1]);
            float[] ref = m[1] ? wantPlanes : want;
            for (int i = 0; i < yp.length; i++) {
                if (Float.floatToRawIntBits(yp[i]) != Float.floatToRawIntBits(ref[i])) {
                    throw new IllegalStateException("Conv2D + pooling in one pass with planes in " + m[0] + ", out "
                            + m[1] + " differs from channels last at " + i);
                }
            }
        }
    }

    /** Channels-last images as channel planes. */
    private static float[] planes(float[] a, int images, int pixels, int c) {
        float[] p = new float[a.length];
        for (int img = 0; img < images; img++) {
            for (int q = 0; q < pixels; q++) {
                for (int ch = 0; ch < c; ch++) {
                    p[(img * c + ch) * pixels + q] = a[(img * pixels + q) * c + ch];
                }
            }
        }
        return p;
    }

    private static void write(DataOutputStream out, float[] a) throws IOException {
        for (float f : a) {
            out.writeInt(Float.floatToRawIntBits(f));
        }
    }
}
