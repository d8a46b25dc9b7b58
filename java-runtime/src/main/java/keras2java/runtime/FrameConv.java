package keras2java.runtime;

/**
 * A convolution over a row of channels-last frames whose first axis may vary:
 * {@link Conv2D} (frames {@code (h, w, c)}) and {@link Conv3D} (frames
 * {@code (d, h, w, c)}).  {@link ConvLstm} runs its input and recurrent
 * convolutions through this interface, so one recurrence serves ConvLSTM1D,
 * 2D and 3D.
 */
public interface FrameConv {
    /**
     * {@code y[yOff..]} = the convolution of {@code images} frames at {@code x[xOff..]}, each
     * {@code n} long on its first axis; each output frame is {@code outN} long on it.
     * Scratch space is {@code ws[wsOff..]}.
     */
    void forward(float[] x, int xOff, int images, int n, float[] y, int yOff, int outN, float[] ws, int wsOff);
}
