package demo.flink;

/** The model's output for a device after its {@code step}-th frame (1-based): a Flink POJO. */
public class Scored {
    public String device;
    public int step;
    public float[] probs;

    public Scored() {
    }

    public Scored(String device, int step, float[] probs) {
        this.device = device;
        this.step = step;
        this.probs = probs;
    }
}
