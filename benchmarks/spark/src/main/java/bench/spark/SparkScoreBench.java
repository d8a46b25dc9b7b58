package bench.spark;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import bench.medium.MediumModel;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * Scores {@code rows} sequences of the medium benchmark model (T100 F64) in one Spark job per engine
 * and prints rows/s. Each partition generates its inputs from the row ids (the same pseudo-random
 * floats for every engine) and reduces the outputs to one checksum (the sum of the top-class
 * probabilities), so the engines are compared on the same work and their checksums must agree.
 *
 * <p>Engines: {@code gen} (input generation only, the floor), {@code k2j} (the generated Java, one
 * instance per partition, row by row), {@code ort1} and {@code ort64} (ONNX Runtime Java, one
 * session per partition with one intra-op thread, Spark running one task per core; batches of 1 or
 * 64 rows).
 *
 * <p>{@code main rows partitions onnxPath engine...}
 */
public final class SparkScoreBench {
    static final int T = 100;
    static final int F = 64;
    static final int CLASSES = 10;

    private SparkScoreBench() {
    }

    /** Row {@code id}'s input: xorshift floats in [-1, 1), the same for every engine. */
    static void input(long id, float[] out, int off) {
        long s = id * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        for (int i = 0; i < T * F; i++) {
            s ^= s << 13;
            s ^= s >>> 7;
            s ^= s << 17;
            out[off + i] = ((s >>> 40) * 0x1p-24f) * 2f - 1f;
        }
    }

    static float top(float[] p, int off) {
        float m = p[off];
        for (int j = 1; j < CLASSES; j++) {
            m = Math.max(m, p[off + j]);
        }
        return m;
    }

    static MapPartitionsFunction<Long, Double> engine(String name, String onnx) {
        switch (name) {
            case "gen":
                return ids -> {
                    float[] x = new float[T * F];
                    double sum = 0;
                    while (ids.hasNext()) {
                        input(ids.next(), x, 0);
                        sum += x[0];
                    }
                    return Collections.singletonList(sum).iterator();
                };
            case "k2j":
                return ids -> {
                    MediumModel model = new MediumModel();   // per partition; weights once per JVM
                    float[] x = new float[T * F];
                    double sum = 0;
                    while (ids.hasNext()) {
                        input(ids.next(), x, 0);
                        sum += top(model.predict(x), 0);
                    }
                    return Collections.singletonList(sum).iterator();
                };
            case "ort1":
            case "ort64":
                final int batch = name.equals("ort1") ? 1 : 64;
                return ids -> Collections.singletonList(ortPartition(ids, onnx, batch)).iterator();
            default:
                throw new IllegalArgumentException("unknown engine " + name);
        }
    }

    static double ortPartition(Iterator<Long> ids, String onnx, int batch) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(1);
        opts.setInterOpNumThreads(1);
        double sum = 0;
        try (OrtSession session = env.createSession(onnx, opts)) {
            String in = session.getInputNames().iterator().next();
            float[] x = new float[batch * T * F];
            List<Long> block = new ArrayList<>(batch);
            while (ids.hasNext()) {
                block.clear();
                while (block.size() < batch && ids.hasNext()) {
                    block.add(ids.next());
                }
                int n = block.size();
                for (int b = 0; b < n; b++) {
                    input(block.get(b), x, b * T * F);
                }
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x, 0, n * T * F),
                        new long[] {n, T, F});
                     OrtSession.Result r = session.run(Collections.singletonMap(in, t))) {
                    float[][] p = (float[][]) r.get(0).getValue();
                    for (int b = 0; b < n; b++) {
                        sum += top(p[b], 0);
                    }
                }
            }
        }
        return sum;
    }

    static double[] run(SparkSession spark, long rows, int parts, String engine, String onnx) {
        Dataset<Long> ids = spark.range(0, rows, 1, parts);
        long t0 = System.nanoTime();
        List<Double> sums = ids.mapPartitions(engine(engine, onnx), Encoders.DOUBLE()).collectAsList();
        double secs = (System.nanoTime() - t0) / 1e9;
        double sum = 0;
        for (double s : sums) {
            sum += s;
        }
        return new double[] {secs, sum};
    }

    public static void main(String[] args) {
        long rows = Long.parseLong(args[0]);
        int parts = Integer.parseInt(args[1]);
        String onnx = args[2];
        SparkSession spark = SparkSession.builder().master("local[" + parts + "]").appName("k2j-spark-bench")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        try {
            for (int a = 3; a < args.length; a++) {
                String engine = args[a];
                run(spark, Math.min(rows, 2000), parts, engine, onnx);   // warm-up: JIT, weights, sessions
                double[] r = run(spark, rows, parts, engine, onnx);
                System.out.printf("RESULT engine=%s kernels=%s rows=%d seconds=%.2f rows_per_s=%.1f checksum=%.6f%n",
                        engine, engine.equals("k2j") ? RuntimeInfo.kernels().replace(' ', '_') : "-", rows, r[0],
                        rows / r[0], r[1]);
            }
        } finally {
            spark.stop();
        }
    }
}
