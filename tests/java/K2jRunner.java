import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

/**
 * Test driver: runs many generated models in one JVM.
 *
 * <p>Usage: {@code java K2jRunner jobs.txt}.  Each line of jobs.txt is
 * {@code className inputs.bin outputs.bin}.  inputs.bin holds int32 LE
 * nSamples, then per sample int32 nInputs and per input int32 length + float32
 * LE values.  outputs.bin gets the same layout for the outputs of
 * {@code predictAll}; a sample whose prediction throws gets nOutputs = -1
 * followed by the exception message as int32 length + UTF-8 bytes.  A fourth
 * field {@code stream:<floats per step>} feeds each sample to a Session one frame
 * at a time; {@code batch:<threads>} runs all samples through {@code predictAllBatch}.
 */
public final class K2jRunner {
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Paths.get(args[0]));
        for (String line : lines) {
            if (line.trim().isEmpty()) {
                continue;
            }
            String[] parts = line.trim().split(" ");
            if (parts.length > 3 && parts[3].startsWith("stream:")) {
                stream(parts[0], parts[1], parts[2], Integer.parseInt(parts[3].substring(7)));
            } else if (parts.length > 3 && parts[3].startsWith("batch:")) {
                batch(parts[0], parts[1], parts[2], Integer.parseInt(parts[3].substring(6)));
            } else {
                run(parts[0], parts[1], parts[2]);
            }
        }
    }

    private static void run(String className, String inPath, String outPath) throws Exception {
        Object model = Class.forName(className).getConstructor().newInstance();
        Method predictAll = model.getClass().getMethod("predictAll", float[][].class);
        Method shaped = null;
        try {
            shaped = model.getClass().getMethod("predictAll", float[][].class, int[][].class);
        } catch (NoSuchMethodException e) {
            // inputs with at most one variable axis: their lengths say their shapes
        }
        float[][][] samples = readSamples(inPath);
        int[][][] shapes = shaped != null ? readShapes(inPath + ".shapes") : null;
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(outPath)))) {
            writeInt(out, samples.length);
            for (int s = 0; s < samples.length; s++) {
                float[][] inputs = samples[s];
                try {
                    writeSample(out, (float[][]) (shaped != null ? shaped.invoke(model, inputs, shapes[s])
                            : predictAll.invoke(model, (Object) inputs)));
                } catch (java.lang.reflect.InvocationTargetException e) {
                    writeError(out, e.getCause());
                }
            }
        }
    }

    /**
     * Streaming mode: each sample's single input is fed to a fresh
     * {@code Session} one frame ({@code perStep} floats) at a time; the
     * sample's outputs are the step outputs concatenated, per model output.
     */
    private static void stream(String className, String inPath, String outPath, int perStep) throws Exception {
        Object model = Class.forName(className).getConstructor().newInstance();
        Object first = null;
        float[][][] samples = readSamples(inPath);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(outPath)))) {
            writeInt(out, samples.length);
            for (float[][] sample : samples) {
                float[] seq = sample[sample.length - 1];
                Object session = model.getClass().getMethod("newSession").invoke(model);
                if (first == null) {
                    first = session;
                }
                Method stepAll = session.getClass().getMethod("stepAll", float[].class);
                int steps = seq.length / perStep;
                java.util.List<float[][]> results = new java.util.ArrayList<float[][]>();
                Throwable error = null;
                for (int t = 0; t < steps && error == null; t++) {
                    float[] frame = java.util.Arrays.copyOfRange(seq, t * perStep, (t + 1) * perStep);
                    try {
                        results.add((float[][]) stepAll.invoke(session, (Object) frame));
                        if (session != first) {
                            // another session stepped in between must not disturb this one
                            stepAll.invoke(first, (Object) frame);
                        }
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        error = e.getCause();
                    }
                }
                if (error != null) {
                    writeError(out, error);
                    continue;
                }
                writeSample(out, concat(results));
            }
        }
    }

    /**
     * Batch mode: all samples at once through the static {@code predictAllBatch(samples,
     * threads)}; if it throws, every sample gets the exception.
     */
    private static void batch(String className, String inPath, String outPath, int threads) throws Exception {
        Class<?> cls = Class.forName(className);
        float[][][] samples = readSamples(inPath);
        float[][][] results = null;
        Throwable error = null;
        try {
            results = (float[][][]) cls.getMethod("predictAllBatch", float[][][].class, int.class)
                    .invoke(null, samples, threads);
        } catch (java.lang.reflect.InvocationTargetException e) {
            error = e.getCause();
        }
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(outPath)))) {
            writeInt(out, samples.length);
            for (int s = 0; s < samples.length; s++) {
                if (error != null) {
                    writeError(out, error);
                } else {
                    writeSample(out, results[s]);
                }
            }
        }
    }

    /** A session's outputs over a whole sequence: per output, the step outputs concatenated. */
    static float[][] concat(List<float[][]> steps) {
        float[][] out = new float[steps.get(0).length][];
        for (int o = 0; o < out.length; o++) {
            int total = 0;
            for (float[][] r : steps) {
                total += r[o].length;
            }
            out[o] = new float[total];
            int pos = 0;
            for (float[][] r : steps) {
                System.arraycopy(r[o], 0, out[o], pos, r[o].length);
                pos += r[o].length;
            }
        }
        return out;
    }

    /** The shapes file beside an inputs file: per sample, each input's shape. */
    static int[][][] readShapes(String path) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(path)))) {
            int[][][] shapes = new int[readInt(in)][][];
            for (int s = 0; s < shapes.length; s++) {
                shapes[s] = new int[readInt(in)][];
                for (int i = 0; i < shapes[s].length; i++) {
                    shapes[s][i] = new int[readInt(in)];
                    for (int k = 0; k < shapes[s][i].length; k++) {
                        shapes[s][i][k] = readInt(in);
                    }
                }
            }
            return shapes;
        }
    }

    /** Every sample of an inputs file: its input arrays. */
    static float[][][] readSamples(String path) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(path)))) {
            float[][][] samples = new float[readInt(in)][][];
            for (int s = 0; s < samples.length; s++) {
                samples[s] = new float[readInt(in)][];
                for (int i = 0; i < samples[s].length; i++) {
                    samples[s][i] = new float[readInt(in)];
                    for (int j = 0; j < samples[s][i].length; j++) {
                        samples[s][i][j] = Float.intBitsToFloat(readInt(in));
                    }
                }
            }
            return samples;
        }
    }

    /** An outputs file: the sample count, then each sample's outputs. */
    static void writeOutputs(String path, float[][][] outputs) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(path)))) {
            writeInt(out, outputs.length);
            for (float[][] sample : outputs) {
                writeSample(out, sample);
            }
        }
    }

    private static void writeSample(DataOutputStream out, float[][] outputs) throws IOException {
        writeInt(out, outputs.length);
        for (float[] o : outputs) {
            writeInt(out, o.length);
            for (float v : o) {
                writeInt(out, Float.floatToRawIntBits(v));
            }
        }
    }

    /** A sample whose call threw: -1, then the exception as UTF-8 text. */
    private static void writeError(DataOutputStream out, Throwable e) throws IOException {
        byte[] msg = (e.getClass().getName() + ": " + e.getMessage()).getBytes("UTF-8");
        writeInt(out, -1);
        writeInt(out, msg.length);
        out.write(msg);
    }

    private static int readInt(DataInputStream in) throws IOException {
        return Integer.reverseBytes(in.readInt());
    }

    private static void writeInt(DataOutputStream out, int v) throws IOException {
        out.writeInt(Integer.reverseBytes(v));
    }
}
