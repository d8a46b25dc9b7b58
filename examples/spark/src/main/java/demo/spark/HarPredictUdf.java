package demo.spark;

import demo.model.HarModel;
import org.apache.spark.sql.api.java.UDF1;

/**
 * Spark SQL UDF {@code array<float> -> array<float>}: one window of sensor frames (7 x 11,
 * flattened) to the activity probabilities.
 *
 * <p>Serialization: Spark ships this small object (no fields) to the executors; the model is
 * never serialized. Each executor thread gets its own {@link HarModel} instance the first time
 * it calls the UDF (instances keep work buffers, so they are not shared between threads), and
 * the weights are loaded once per executor JVM by the first instance, from the jar.
 *
 * <p>Also callable from PySpark: {@code spark.udf.registerJavaFunction("har_predict",
 * "demo.spark.HarPredictUdf", ArrayType(FloatType()))}.
 */
public final class HarPredictUdf implements UDF1<scala.collection.Seq<Object>, float[]> {
    private static final long serialVersionUID = 1L;

    private static final ThreadLocal<HarModel> MODEL = new ThreadLocal<HarModel>() {
        @Override
        protected HarModel initialValue() {
            return new HarModel();
        }
    };

    @Override
    public float[] call(scala.collection.Seq<Object> frames) {
        if (frames == null) {
            return null;
        }
        return MODEL.get().predict(toFloats(frames));
    }

    /** The floats of an {@code array<float>} value (iterated: some Seq types have O(i) {@code apply}). */
    static float[] toFloats(scala.collection.Seq<Object> values) {
        float[] x = new float[values.length()];
        scala.collection.Iterator<Object> it = values.iterator();
        for (int i = 0; i < x.length; i++) {
            x[i] = ((Number) it.next()).floatValue();
        }
        return x;
    }
}
