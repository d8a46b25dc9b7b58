package demo;

import demo.model.HarModel;

/** Runs the generated model on one (synthetic) window of sensor frames. */
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
        System.out.println("activity probabilities: " + java.util.Arrays.toString(probs) + ", class " + best);
    }
}
