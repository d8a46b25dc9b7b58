package demo.spark;

import demo.model.HarModel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Scores a DataFrame of sequences {@code (id bigint, frames array<float>)} with the generated
 * model, two ways:
 * <ul>
 *   <li>{@link #withUdf}: the SQL UDF {@link HarPredictUdf} (one model instance per executor thread);</li>
 *   <li>{@link #withMapPartitions}: {@code mapPartitions}, one model instance per partition,
 *       the partition's rows read in blocks of {@link #BLOCK} and scored with that instance
 *       (one thread per task: Spark already runs one task per core; {@code predictAllBatch}
 *       would spread a block over threads of its own).</li>
 * </ul>
 * {@code main [rows]} scores {@code rows} random sequences both ways and prints rows/s; the master
 * comes from spark-submit, or is local[2] when run directly.
 */
public final class ScoreSequences {
    public static final StructType INPUT = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("frames", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    public static final StructType SCORED = INPUT
            .add("probs", DataTypes.createArrayType(DataTypes.FloatType, false), true);

    private ScoreSequences() {
    }

    public static Dataset<Row> withUdf(SparkSession spark, Dataset<Row> sequences) {
        spark.udf().register("har_predict", new HarPredictUdf(),
                DataTypes.createArrayType(DataTypes.FloatType, false));
        return sequences.withColumn("probs", functions.callUDF("har_predict", functions.col("frames")));
    }

    /** Rows read per block in mapPartitions. */
    static final int BLOCK = 256;

    public static Dataset<Row> withMapPartitions(Dataset<Row> sequences) {
        MapPartitionsFunction<Row, Row> score = rows -> new Iterator<Row>() {
            // created on the executor, once per partition; the weights are loaded once per JVM
            private final HarModel model = new HarModel();
            private final List<Row> block = new ArrayList<>(BLOCK);
            private final float[][][] inputs = new float[BLOCK][][];
            private float[][][] outputs;
            private int next;

            @Override
            public boolean hasNext() {
                if (next < block.size()) {
                    return true;
                }
                block.clear();
                next = 0;
                while (block.size() < BLOCK && rows.hasNext()) {
                    Row r = rows.next();
                    inputs[block.size()] = new float[][] {HarPredictUdf.toFloats(r.<Object>getSeq(1))};
                    block.add(r);
                }
                if (block.isEmpty()) {
                    return false;
                }
                float[][][] samples = block.size() == BLOCK ? inputs : java.util.Arrays.copyOf(inputs, block.size());
                outputs = new float[samples.length][][];
                for (int i = 0; i < samples.length; i++) {
                    outputs[i] = model.predictAll(samples[i]);
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                Row r = block.get(next);
                float[] probs = outputs[next++][0];
                return RowFactory.create(r.getLong(0), r.get(1), probs);
            }
        };
        return sequences.mapPartitions(score, Encoders.row(SCORED));
    }

    /** {@code n} random sequences of the model's input shape, in {@code partitions} partitions. */
    public static Dataset<Row> randomSequences(SparkSession spark, int n, int partitions, long seed) {
        int len = HarModel.INPUT_SHAPE[0] * HarModel.INPUT_SHAPE[1];
        return spark.range(0, n, 1, partitions).map((org.apache.spark.api.java.function.MapFunction<Long, Row>) id -> {
            Random rnd = new Random(seed * 1_000_003L + id);
            float[] x = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            return RowFactory.create(id, x);
        }, Encoders.row(INPUT));
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        SparkSession.Builder b = SparkSession.builder().appName("keras2java-spark-example");
        if (!new org.apache.spark.SparkConf().contains("spark.master")) {
            b.master("local[2]");
        }
        SparkSession spark = b.getOrCreate();
        try {
            Dataset<Row> seqs = randomSequences(spark, n, 2, 1).cache();
            seqs.count();
            for (int round = 0; round < 2; round++) {   // round 0 warms the JIT
                long t0 = System.nanoTime();
                double s1 = withUdf(spark, seqs).select(functions.aggregate(functions.col("probs"),
                        functions.lit(0.0), (acc, p) -> acc.plus(p))).as(Encoders.DOUBLE()).reduce(
                        (org.apache.spark.api.java.function.ReduceFunction<Double>) Double::sum);
                long t1 = System.nanoTime();
                long m = withMapPartitions(seqs).count();
                long t2 = System.nanoTime();
                System.out.printf("round %d: %d rows; UDF %.0f rows/s (checksum %.3f); mapPartitions %.0f rows/s (%d rows)%n",
                        round, n, n / ((t1 - t0) / 1e9), s1, n / ((t2 - t1) / 1e9), m);
            }
        } finally {
            spark.stop();
        }
    }
}
