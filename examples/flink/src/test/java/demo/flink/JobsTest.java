package demo.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import demo.model.HarModel;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;

/** Both pipelines on a local MiniCluster (parallelism 2), against Keras' recorded outputs. */
class JobsTest {
    private static float[] parse(String line) {
        String[] p = line.split(",");
        float[] v = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            v[i] = Float.parseFloat(p[i].trim());
        }
        return v;
    }

    private static <T> List<T> collect(CloseableIterator<T> it) throws Exception {
        List<T> out = new ArrayList<>();
        try (CloseableIterator<T> c = it) {
            c.forEachRemaining(out::add);
        }
        return out;
    }

    private static StreamExecutionEnvironment env() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        return env;
    }

    @Test
    void windowsMatchKeras() throws Exception {
        List<String> inputs = Files.readAllLines(Paths.get(System.getProperty("har.inputs")));
        List<String> expected = Files.readAllLines(Paths.get(System.getProperty("har.expected")));
        List<float[]> windows = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            windows.add(parse(inputs.get(i)));
            index.put(Arrays.toString(windows.get(i)), i);
        }
        // the outputs come back in any order: find each one's window by scoring directly
        HarModel direct = new HarModel();
        List<float[]> got = collect(Jobs.scoreWindows(env(), windows).executeAndCollect());
        assertEquals(windows.size(), got.size());
        double worst = 0;
        boolean[] seen = new boolean[windows.size()];
        for (float[] probs : got) {
            int match = -1;
            for (int i = 0; i < windows.size(); i++) {
                if (Arrays.equals(direct.predict(windows.get(i)), probs)) {
                    match = i;
                }
            }
            assertTrue(match >= 0 && !seen[match], "unexpected output " + Arrays.toString(probs));
            seen[match] = true;
            float[] want = parse(expected.get(match));
            for (int j = 0; j < want.length; j++) {
                worst = Math.max(worst, Math.abs(probs[j] - want[j]));
            }
        }
        System.out.println("flink windows vs Keras: max error " + worst);
        assertTrue(worst <= 1e-5, "max error vs Keras " + worst);
    }

    @Test
    void keyedSessionsMatchPredictOnEachPrefix() throws Exception {
        List<String> inputs = Files.readAllLines(Paths.get(System.getProperty("har.inputs")));
        List<String> expected = Files.readAllLines(Paths.get(System.getProperty("har.expected")));
        int steps = HarModel.INPUT_SHAPE[0];
        int features = HarModel.INPUT_SHAPE[1];
        // device d streams window d's frames; the devices' frames are interleaved at random
        List<Frame> frames = new ArrayList<>();
        int[] next = new int[inputs.size()];
        Random rnd = new Random(3);
        for (int left = inputs.size() * steps; left > 0; left--) {
            int d;
            do {
                d = rnd.nextInt(inputs.size());
            } while (next[d] == steps);
            float[] w = parse(inputs.get(d));
            frames.add(new Frame("device-" + d, Arrays.copyOfRange(w, next[d] * features, (next[d] + 1) * features)));
            next[d]++;
        }
        List<Scored> got = collect(Jobs.scoreSessions(env(), frames).executeAndCollect());
        assertEquals(frames.size(), got.size());
        HarModel direct = new HarModel();
        double worst = 0;
        for (Scored s : got) {
            int d = Integer.parseInt(s.device.substring("device-".length()));
            float[] w = parse(inputs.get(d));
            // a fresh session fed the device's first s.step frames
            HarModel.Session ref = direct.newSession();
            float[] want = null;
            for (int t = 0; t < s.step; t++) {
                want = ref.step(Arrays.copyOfRange(w, t * features, (t + 1) * features));
            }
            assertArrayEquals(want, s.probs, 0f, s.device + " step " + s.step);
            if (s.step == steps) {        // the whole window: predict()'s output, and Keras'
                assertArrayEquals(direct.predict(w), s.probs, 0f);
                float[] keras = parse(expected.get(d));
                for (int j = 0; j < keras.length; j++) {
                    worst = Math.max(worst, Math.abs(s.probs[j] - keras[j]));
                }
            }
        }
        System.out.println("flink keyed sessions vs Keras: max error " + worst);
        assertTrue(worst <= 1e-5, "max error vs Keras " + worst);
    }
}
