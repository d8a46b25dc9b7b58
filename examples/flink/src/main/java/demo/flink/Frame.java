package demo.flink;

/** One sensor frame (11 floats) of one device: a Flink POJO. */
public class Frame {
    public String device;
    public float[] values;

    public Frame() {
    }

    public Frame(String device, float[] values) {
        this.device = device;
        this.values = values;
    }
}
