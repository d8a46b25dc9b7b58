package keras2java.runtime;

/**
 * The hot loops of the runtime (blocked matrix products, the recurrent
 * mat-vec, tanh and sigmoid over arrays), with an optional faster
 * implementation chosen once per JVM.
 *
 * <p>The portable kernels are plain Java 8 in {@link MatMul} and
 * {@link Activation}.  When the class {@code VectorKernels} (JDK 17+ source,
 * written beside the runtime when asked for) is compiled into the same package
 * and the JVM runs with {@code --add-modules jdk.incubator.vector}, it is used
 * instead.  Both compute every result with the same float operations in the
 * same order, so they give bit-identical outputs; only the speed differs.
 *
 * <p>The system property {@code keras2java.kernels} selects: {@code auto}
 * (default: the vector kernels when available on Java 25 or newer),
 * {@code portable}, or {@code vector} (also on Java 17 to 24; fail when the
 * vector kernels cannot be loaded).  On JDK 17, C2 sometimes compiles the
 * Vector API loops through on-stack replacement with boxed vectors, several
 * times slower for the life of the JVM (about 3 in 10 starts of two threads
 * predicting at once, in this project's tests; never on JDK 25).
 */
public abstract class Kernels {
    /** The vector kernels in use, or null for the portable ones. */
    static final Kernels VECTOR = load();

    protected Kernels() {
    }

    /** Which kernels this JVM uses, e.g. {@code "portable Java"} or {@code "jdk.incubator.vector, 16 floats"}. */
    public static String active() {
        return VECTOR == null ? "portable Java" : VECTOR.describe();
    }

    abstract String describe();

    /**
     * {@link MatMul#matmulBiasRows} on a matrix and bias from {@link #pack}
     * (the bias, zeros for none, packed as a one-row matrix).
     */
    abstract void matmulPacked(float[] x, int xOff, int rows, int in, float[] w, float[] bias, int out,
                               float[] y, int yOff);

    /** The {@code (n, out)} row-major matrix at {@code data[off..]} in the layout the methods below read. */
    abstract float[] pack(float[] data, int off, int n, int out);

    /** {@link MatMul#addVecMatRows} on a matrix from {@link #pack}. */
    abstract void addVecMatPacked(float[] v, int vOff, int n, float[] packed, int out, float[] y, int yOff);

    /**
     * The LSTM cell update with sigmoid gates and tanh, as {@link LstmCell}'s
     * portable loop: gates i, f, c, o at {@code p[z..]} ({@code u} each), state
     * h at {@code st[hOff..]} and c after it, both updated.
     */
    abstract void lstmGates(float[] p, int z, float[] st, int hOff, int u);

    /** {@link Activation#tanh} in place over {@code a[off .. off+len)}. */
    abstract void tanh(float[] a, int off, int len);

    /** {@link Activation#sigmoid} in place over {@code a[off .. off+len)}. */
    abstract void sigmoid(float[] a, int off, int len);

    /** The oldest Java version on which {@code auto} picks the vector kernels. */
    static final int AUTO_MIN_JAVA = 25;

    /** The Java feature version: 8 for "1.8", 17 for "17", 0 if unknown. */
    static int javaVersion() {
        try {
            String v = System.getProperty("java.specification.version", "0");
            if (v.startsWith("1.")) {
                v = v.substring(2);
            }
            int end = 0;
            while (end < v.length() && Character.isDigit(v.charAt(end))) {
                end++;
            }
            return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static Kernels load() {
        String mode;
        try {
            mode = System.getProperty("keras2java.kernels", "auto");
        } catch (SecurityException e) {
            mode = "auto";
        }
        if (!mode.equals("auto") && !mode.equals("portable") && !mode.equals("vector")) {
            throw new IllegalArgumentException("keras2java.kernels must be auto, portable or vector, not '"
                    + mode + "'");
        }
        if (mode.equals("portable") || (mode.equals("auto") && javaVersion() < AUTO_MIN_JAVA)) {
            return null;
        }
        final String self = Kernels.class.getName();
        final String name = self.substring(0, self.lastIndexOf('.') + 1) + "VectorKernels";
        try {
            return (Kernels) Class.forName(name).getDeclaredConstructor().newInstance();
        } catch (Throwable e) {
            // Not compiled in, a JVM older than 17, or jdk.incubator.vector not resolved.
            if (mode.equals("vector")) {
                throw new IllegalStateException("keras2java.kernels=vector, but " + name + " cannot be used ("
                        + e + "); compile it with JDK 17+ and run with --add-modules jdk.incubator.vector", e);
            }
            return null;
        }
    }
}
