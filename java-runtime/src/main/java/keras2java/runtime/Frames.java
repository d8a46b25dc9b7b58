package keras2java.runtime;

/**
 * How a chain of per-frame ops (TimeDistributed Conv2D, pooling, ...) goes over a row of frames.
 * A few frames at a time through the whole chain keeps the frames' feature maps in the CPU's
 * cache between the ops, and gives a convolution on small images several of them in one chunk of
 * its transposed product ({@link Conv2D}: a 16 x 16 image alone makes loops of 256 pixels).
 * With intra-op threads, all frames at once: each op shares out the chunks of every frame (one
 * small frame has too few to share; one frame per pass made 2 threads 15-25% slower).
 */
public final class Frames {
    private Frames() {
    }

    /** Floats of the chain's largest feature map per pass at most (1 MiB, within L2 beside its neighbours). */
    static final int PASS_FLOATS = 256 * 1024;

    /**
     * Frames per pass of a chain over {@code frames} frames whose largest feature map (input or
     * output of an op) holds {@code floatsPerFrame} floats a frame: as many as fit that map in
     * {@link #PASS_FLOATS}, at least one.  Measured (alternating, one JVM per run, ms per sequence,
     * load 1.0-1.2): the cnn_lstm benchmark model (16 frames of 64 x 64 x 3, largest map 64 x 64 x
     * 16, so 4 frames per pass) against one frame per pass, JDK 17 5.03-5.25 -> 4.46-4.55, JDK 25
     * 4.26-4.41 -> 4.04-4.11; all 16 frames at once 4.66-4.79 and 4.14-4.27; a VGG-like chain (8
     * frames) JDK 17 5.55-5.60 -> 5.36-5.40, JDK 25 4.52-4.61 -> 4.30-4.44.
     */
    public static int perPass(int frames, int floatsPerFrame) {
        if (IntraOp.THREADS > 1) {
            return Math.max(1, frames);
        }
        return Math.max(1, Math.min(frames, PASS_FLOATS / Math.max(1, floatsPerFrame)));
    }
}
