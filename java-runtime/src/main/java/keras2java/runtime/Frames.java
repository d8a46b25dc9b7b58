package keras2java.runtime;

/**
 * How a chain of per-frame ops (TimeDistributed Conv2D, pooling, ...) goes over a row of frames.
 * One frame at a time through the whole chain keeps each frame's feature maps in the CPU's cache
 * between the ops (measured, the cnn_lstm benchmark model, 16 frames of 64 x 64 x 3: JDK 17 and 25
 * 0-9% faster in 5 alternating pairs each, a batch of 16 10-17%).  With intra-op threads, all
 * frames at once: each op shares out the chunks of every frame (one small frame has too few to
 * share; one frame per pass made 2 threads 15-25% slower).
 */
public final class Frames {
    private Frames() {
    }

    /** Frames per pass of a chain over {@code frames} frames. */
    public static int perPass(int frames) {
        return IntraOp.THREADS > 1 ? Math.max(1, frames) : 1;
    }
}
