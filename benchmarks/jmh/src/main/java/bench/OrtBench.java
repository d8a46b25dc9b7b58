package bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** ONNX Runtime Java on the tf2onnx export of the same Keras models. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class OrtBench {
    @Param({"small", "medium", "large"})
    public String model;

    private OrtEnvironment env;
    private OrtSession oneThread;
    private OrtSession allCores;
    private OnnxTensor x1;
    private OnnxTensor x64;
    private OnnxTensor x256;

    @Setup
    public void setup() throws OrtException {
        env = OrtEnvironment.getEnvironment();
        String path = System.getProperty("onnx.dir") + "/" + model + ".onnx";
        OrtSession.SessionOptions one = new OrtSession.SessionOptions();
        one.setIntraOpNumThreads(1);
        one.setInterOpNumThreads(1);
        oneThread = env.createSession(path, one);
        OrtSession.SessionOptions all = new OrtSession.SessionOptions();
        all.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
        allCores = env.createSession(path, all);
        int[] s = Models.shape(model);
        int n = s[0] * s[1];
        x1 = OnnxTensor.createTensor(env, FloatBuffer.wrap(Models.random(n, 1)), new long[] {1, s[0], s[1]});
        float[] big = new float[64 * n];
        for (int i = 0; i < 64; i++) {
            System.arraycopy(Models.random(n, 100 + i), 0, big, i * n, n);
        }
        x64 = OnnxTensor.createTensor(env, FloatBuffer.wrap(big), new long[] {64, s[0], s[1]});
        float[] big256 = new float[256 * n];
        for (int i = 0; i < 256; i++) {
            System.arraycopy(Models.random(n, 100 + i), 0, big256, i * n, n);
        }
        x256 = OnnxTensor.createTensor(env, FloatBuffer.wrap(big256), new long[] {256, s[0], s[1]});
    }

    @TearDown
    public void tearDown() throws OrtException {
        x1.close();
        x64.close();
        x256.close();
        oneThread.close();
        allCores.close();
    }

    private static float run(OrtSession session, OnnxTensor x) throws OrtException {
        try (OrtSession.Result r = session.run(Collections.singletonMap("x", x))) {
            return ((float[][]) r.get(0).getValue())[0][0];
        }
    }

    @Benchmark
    public float batch1() throws OrtException {
        return run(oneThread, x1);
    }

    @Benchmark
    public float batch64OneThread() throws OrtException {
        return run(oneThread, x64);
    }

    @Benchmark
    public float batch256OneThread() throws OrtException {
        return run(oneThread, x256);
    }

    @Benchmark
    public float batch64AllCores() throws OrtException {
        return run(allCores, x64);
    }
}
