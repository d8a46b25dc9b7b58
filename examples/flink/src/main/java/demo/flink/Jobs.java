package demo.flink;

import java.util.List;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** The two pipelines, as a job would build them (the test runs them on a MiniCluster). */
public final class Jobs {
    private Jobs() {
    }

    /** Whole windows in, probabilities out. */
    public static DataStream<float[]> scoreWindows(StreamExecutionEnvironment env, List<float[]> windows) {
        return env.fromData(windows).rebalance().map(new PredictFunction()).name("keras2java predict");
    }

    /** Frames of many devices in, per-device outputs after every frame. */
    public static DataStream<Scored> scoreSessions(StreamExecutionEnvironment env, List<Frame> frames) {
        return env.fromData(frames).keyBy(f -> f.device).map(new SessionFunction()).name("keras2java sessions");
    }
}
