package demo.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import demo.model.HarModel;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both scoring paths in local[2], against Keras' recorded outputs and the model called directly. */
class ScoreSequencesTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static float[] parse(String line) {
        String[] p = line.split(",");
        float[] v = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            v[i] = Float.parseFloat(p[i].trim());
        }
        return v;
    }

    private static Map<Long, float[]> byId(Dataset<Row> scored) {
        Map<Long, float[]> out = new HashMap<>();
        for (Row r : scored.collectAsList()) {
            List<Object> probs = r.getList(2);
            float[] v = new float[probs.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (Float) probs.get(i);
            }
            out.put(r.getLong(0), v);
        }
        return out;
    }

    @Test
    void matchesKerasBothWays() throws Exception {
        List<String> inputs = Files.readAllLines(Paths.get(System.getProperty("har.inputs")));
        List<String> expected = Files.readAllLines(Paths.get(System.getProperty("har.expected")));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            rows.add(RowFactory.create((long) i, parse(inputs.get(i))));
        }
        Dataset<Row> df = spark.createDataFrame(rows, ScoreSequences.INPUT).repartition(2);
        Map<Long, float[]> udf = byId(ScoreSequences.withUdf(spark, df));
        Map<Long, float[]> parts = byId(ScoreSequences.withMapPartitions(df));
        assertEquals(inputs.size(), udf.size());
        assertEquals(inputs.size(), parts.size());
        double worst = 0;
        HarModel direct = new HarModel();
        for (int i = 0; i < inputs.size(); i++) {
            float[] want = parse(expected.get(i));
            float[] mine = direct.predict(parse(inputs.get(i)));
            assertArrayEquals(mine, udf.get((long) i), 0f);       // bit-identical to a direct call
            assertArrayEquals(mine, parts.get((long) i), 0f);
            for (int j = 0; j < want.length; j++) {
                worst = Math.max(worst, Math.abs(udf.get((long) i)[j] - want[j]));
            }
        }
        System.out.println("spark local[2] vs Keras: max error " + worst);
        assertTrue(worst <= 1e-5, "max error vs Keras " + worst);
    }

    @Test
    void scoresManyRowsInTwoPartitions() {
        int n = 2000;
        Dataset<Row> seqs = ScoreSequences.randomSequences(spark, n, 2, 7).cache();
        Map<Long, float[]> udf = byId(ScoreSequences.withUdf(spark, seqs));
        Map<Long, float[]> parts = byId(ScoreSequences.withMapPartitions(seqs));
        assertEquals(n, udf.size());
        HarModel direct = new HarModel();
        for (Row r : seqs.collectAsList()) {
            float[] mine = direct.predict(HarPredictUdf.toFloats(r.<Object>getSeq(1)));
            assertArrayEquals(mine, udf.get(r.getLong(0)), 0f);
            assertArrayEquals(mine, parts.get(r.getLong(0)), 0f);
        }
    }
}
