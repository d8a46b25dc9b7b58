package demo;

import demo.model.HarModel;
import demo.model.Sentiment;

/** Runs the two generated models: an activity classifier on a synthetic sensor window, and a sentiment model. */
public final class App {
    private App() {
    }

    public static void main(String[] args) {
        HarModel model = new HarModel();
        int steps = HarModel.INPUT_SHAPE[0];
        int features = HarModel.INPUT_SHAPE[1];
        float[][] frames = new float[steps][features];
        for (int t = 0; t < steps; t++) {
            for (int f = 0; f < features; f++) {
                frames[t][f] = (float) Math.sin(0.3 * t + 0.7 * f);
            }
        }
        float[] probs = model.predict(frames);
        int best = 0;
        for (int i = 1; i < probs.length; i++) {
            if (probs[i] > probs[best]) {
                best = i;
            }
        }
        System.out.println("activity probabilities: " + java.util.Arrays.toString(probs) + ", class " + best
                + " (" + HarModel.LABELS[best] + ")");
        String review = args.length > 0 ? String.join(" ", args) : "this movie was great";
        System.out.println("sentiment [negative, positive]: "
                + java.util.Arrays.toString(new Sentiment().predict(review)) + " for \"" + review + "\"");
    }
}
