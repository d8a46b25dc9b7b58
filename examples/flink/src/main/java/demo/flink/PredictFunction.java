package demo.flink;

import demo.model.HarModel;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Scores a stream of whole windows (7 x 11 frames, flattened) with the generated model.
 * Flink serializes this function to the task managers; the model is not serializable and is not
 * serialized: each parallel instance creates its own in {@link #open}, and the weights are loaded
 * once per task manager JVM (by the first instance; they are shared by all instances).
 */
public class PredictFunction extends RichMapFunction<float[], float[]> {
    private static final long serialVersionUID = 1L;

    private transient HarModel model;

    @Override
    public void open(OpenContext context) {
        model = new HarModel();
    }

    @Override
    public float[] map(float[] window) {
        return model.predict(window);
    }
}
