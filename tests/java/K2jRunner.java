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
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(inPath)));
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(outPath)))) {
            int n = readInt(in);
            writeInt(out, n);
            for (int s = 0; s < n; s++) {
                int k = readInt(in);
                float[][] inputs = new float[k][];
                for (int i = 0; i < k; i++) {
                    int len = readInt(in);
                    inputs[i] = new float[len];
                    for (int j = 0; j < len; j++) {
                        inputs[i][j] = Float.intBitsToFloat(readInt(in));
                    }
                }
                float[][] outputs;
                try {
                    outputs = (float[][]) predictAll.invoke(model, (Object) inputs);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    Throwable c = e.getCause();
                    writeInt(out, -1);
                    byte[] msg = (c.getClass().getName() + ": " + c.getMessage()).getBytes("UTF-8");
                    writeInt(out, msg.length);
                    out.write(msg);
                    continue;
                }
                writeInt(out, outputs.length);
                for (float[] o : outputs) {
                    writeInt(out, o.length);
                    for (float v : o) {
                        writeInt(out, Float.floatToRawIntBits(v));
                    }
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
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(inPath)));
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(outPath)))) {
            int n = readInt(in);
            writeInt(out, n);
            for (int s = 0; s < n; s++) {
                int k = readInt(in);
                float[] seq = null;
                for (int i = 0; i < k; i++) {
                    int len = readInt(in);
                    seq = new float[len];
                    for (int j = 0; j < len; j++) {
                        seq[j] = Float.intBitsToFloat(readInt(in));
                    }
                }
                Object session = model.getClass().getMethod("newSession").invoke(model);
                if (first == null) {
                    first = session;
                }
                Method stepAll = session.getClass().getMethod("stepAll", float[].class);
                int steps = seq.length / perStep;
                java.util.List<float[][]> results = new java.util.ArrayList<float[][]>();
                String error = null;
                for (int t = 0; t < steps && error == null; t++) {
                    float[] frame = java.util.Arrays.copyOfRange(seq, t * perStep, (t + 1) * perStep);
                    try {
                        results.add((float[][]) stepAll.invoke(session, (Object) frame));
                        if (session != first) {
                            // another session stepped in between must not disturb this one
                            stepAll.invoke(first, (Object) frame);
                        }
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        error = e.getCause().getClass().getName() + ": " + e.getCause().getMessage();
                    }
                }
                if (error != null) {
                    writeInt(out, -1);
                    byte[] msg = error.getBytes("UTF-8");
                    writeInt(out, msg.length);
                    out.write(msg);
                    continue;
                }
                int outputs = results.get(0).length;
                writeInt(out, outputs);
                for (int o = 0; o < outputs; o++) {
                    int total = 0;
                    for (float[][] r : results) {
                        total += r[o].length;
                    }
                    writeInt(out, total);
                    for (float[][] r : results) {
                        for (float v : r[o]) {
                            writeInt(out, Float.floatToRawIntBits(v));
                        }
                    }
                }
            }
        }
    }

    /**
     * Batch mode: all samples at once through the static {@code predictAllBatch(samples,
     * threads)}; if it throws, every sample gets the exception.
     */
    private static void batch(String className, String inPath, String outPath, int threads) throws Exception {
        Class<?> cls = Class.forName(className);
        float[][][] samples;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(inPath)))) {
            int n = readInt(in);
            samples = new float[n][][];
            for (int s = 0; s < n; s++) {
                int k = readInt(in);
                samples[s] = new float[k][];
                for (int i = 0; i < k; i++) {
                    int len = readInt(in);
                    samples[s][i] = new float[len];
                    for (int j = 0; j < len; j++) {
                        samples[s][i][j] = Float.intBitsToFloat(readInt(in));
                    }
                }
            }
        }
        float[][][] results = null;
        String error = null;
        try {
            results = (float[][][]) cls.getMethod("predictAllBatch", float[][][].class, int.class)
                    .invoke(null, samples, threads);
        } catch (java.lang.reflect.InvocationTargetException e) {
            error = e.getCause().getClass().getName() + ": " + e.getCause().getMessage();
        }
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(outPath)))) {
            writeInt(out, samples.length);
            for (int s = 0; s < samples.length; s++) {
                if (error != null) {
                    writeInt(out, -1);
                    byte[] msg = error.getBytes("UTF-8");
                    writeInt(out, msg.length);
                    out.write(msg);
                    continue;
                }
                writeInt(out, results[s].length);
                for (float[] o : results[s]) {
                    writeInt(out, o.length);
                    for (float v : o) {
                        writeInt(out, Float.floatToRawIntBits(v));
                    }
                }
            }
        }
    }

    private static int readInt(DataInputStream in) throws IOException {
        return Integer.reverseBytes(in.readInt());
    }

    private static void writeInt(DataOutputStream out, int v) throws IOException {
        out.writeInt(Integer.reverseBytes(v));
    }
}
