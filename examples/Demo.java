import com.example.har.ActionModel;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

/** Runs the generated model on the committed inputs and prints it beside Keras' outputs. */
public final class Demo {
    public static void main(String[] args) throws Exception {
        List<String> inputs = Files.readAllLines(Paths.get(args[0]));
        List<String> expected = Files.readAllLines(Paths.get(args[1]));
        String[] labels = {"walking", "running", "sitting"};
        ActionModel model = new ActionModel();
        double worst = 0;
        System.out.println("sample  java (p0, p1, p2)                 keras (p0, p1, p2)                max |diff|  class");
        for (int s = 0; s < inputs.size(); s++) {
            float[] x = parse(inputs.get(s));
            float[] want = parse(expected.get(s));
            float[] got = model.predict(x);
            double err = 0;
            int best = 0;
            for (int j = 0; j < got.length; j++) {
                err = Math.max(err, Math.abs(got[j] - want[j]));
                if (got[j] > got[best]) {
                    best = j;
                }
            }
            worst = Math.max(worst, err);
            System.out.printf("%6d  %-32s  %-32s  %.2e    %s%n", s, fmt(got), fmt(want), err, labels[best]);
        }
        System.out.printf("worst absolute difference from Keras: %.3e (tolerance 1e-5)%n", worst);
        if (!(worst <= 1e-5)) {
            System.out.println("MISMATCH");
            System.exit(1);
        }
        System.out.println("OK: the generated Java matches Keras");

        // Real-time use: feed sample 0 one frame (11 sensor values) at a time; after the
        // last frame the session's output is predict() on the whole sequence.
        float[] x0 = parse(inputs.get(0));
        int features = ActionModel.INPUT_SHAPE[1];
        ActionModel.Session session = model.newSession();
        float[] live = null;
        for (int t = 0; t < x0.length / features; t++) {
            live = session.step(java.util.Arrays.copyOfRange(x0, t * features, (t + 1) * features));
            System.out.printf("stream step %d: %s%n", t, fmt(live));
        }
        if (!java.util.Arrays.equals(live, model.predict(x0))) {
            System.out.println("MISMATCH between streaming and predict");
            System.exit(1);
        }
        System.out.println("OK: streaming one frame at a time ends at predict()'s output");
    }

    private static float[] parse(String line) {
        String[] parts = line.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Float.parseFloat(parts[i].trim());
        }
        return out;
    }

    private static String fmt(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format("%.6f", v[i]));
        }
        return sb.toString();
    }
}
