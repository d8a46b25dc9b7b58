package demo.flink;

import demo.model.HarModel;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * Streaming inference per device on a keyed stream ({@code frames.keyBy(f -> f.device)}): each
 * frame advances that device's recurrent state by one timestep, and the output is what
 * {@code predict} returns for the device's frames so far.
 *
 * <p>The recurrent state lives in Flink keyed state (a {@code float[]} per key, from
 * {@code Session.saveState()}), so it is checkpointed, restored after a failure and redistributed
 * when the job is rescaled, like any other keyed state. The operator keeps one model instance and
 * one session, which it loads with the current key's state before each step.
 */
public class SessionFunction extends RichMapFunction<Frame, Scored> {
    private static final long serialVersionUID = 1L;

    private transient HarModel.Session session;
    private transient ValueState<float[]> states;
    private transient ValueState<Integer> steps;

    @Override
    public void open(OpenContext context) {
        session = new HarModel().newSession();
        states = getRuntimeContext().getState(
                new ValueStateDescriptor<>("recurrent-states", PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO));
        steps = getRuntimeContext().getState(new ValueStateDescriptor<>("steps", Types.INT));
    }

    @Override
    public Scored map(Frame frame) throws Exception {
        float[] saved = states.value();
        if (saved == null) {
            session.reset();                 // a new device starts from zero states
        } else {
            session.restoreState(saved);
        }
        float[] probs = session.step(frame.values);
        states.update(session.saveState());
        Integer n = steps.value();
        int step = n == null ? 1 : n + 1;
        steps.update(step);
        return new Scored(frame.device, step, probs);
    }
}
