package keras2java.runtime;

/**
 * Kernels of Keras 3 operation nodes ({@code keras.ops} calls recorded in
 * Functional models): elementwise, broadcasting, reductions, strided copies
 * (slicing, transposes, concatenation, stacking) and batched matrix products
 * over small row-major tensors of rank at most 5.
 *
 * <p>A shape is an {@code int[]} whose first entry is -1 when the first axis
 * (timesteps) has a variable size; {@code n0} then gives its size for this
 * call.  Strides are in floats; a stride of 0 broadcasts an axis.  Booleans
 * are 0 and 1.  Outputs are written contiguously unless strides are given.
 */
public final class TensorOps {
    public static final int ADD = 0, SUBTRACT = 1, MULTIPLY = 2, DIVIDE = 3, POWER = 4, MAXIMUM = 5,
            MINIMUM = 6, MOD = 7, FLOOR_DIVIDE = 8, EQUAL = 9, NOT_EQUAL = 10, GREATER = 11,
            GREATER_EQUAL = 12, LESS = 13, LESS_EQUAL = 14, AND = 15, OR = 16, XOR = 17;

    public static final int NEGATIVE = 0, ABS = 1, EXP = 2, LOG = 3, SQRT = 4, SQUARE = 5, TANH = 6,
            SIGMOID = 7, RELU = 8, RECIPROCAL = 9, SIN = 10, COS = 11, FLOOR = 12, CEIL = 13, ROUND = 14,
            SIGN = 15, LOG1P = 16, EXPM1 = 17, NOT = 18, TRUNC = 19, NONZERO = 20, SOFTPLUS = 21,
            RSQRT = 22, ERF = 23, SILU = 24, ZERO = 25, ONE = 26, IDENTITY = 27, CLIP = 28;

    public static final int SUM = 0, MEAN = 1, MAX = 2, MIN = 3, ANY = 4, ALL = 5, PROD = 6;

    private static final int R = 5;

    /** A constant operand of one operation node (copied from the weights). */
    public final float[] c;

    public TensorOps(float[] data, int off, int len) {
        c = java.util.Arrays.copyOfRange(data, off, off + len);
    }

    /** The five-axis form of a shape (leading axes of size 1), with {@code n0} for a variable first axis. */
    private static int[] dims(int[] shape, int n0) {
        int[] d = {1, 1, 1, 1, 1};
        int pad = R - shape.length;
        for (int i = 0; i < shape.length; i++) {
            d[pad + i] = shape[i] < 0 ? n0 : shape[i];
        }
        return d;
    }

    private static int[] str5(int[] str) {
        int[] s = {0, 0, 0, 0, 0};
        System.arraycopy(str, 0, s, R - str.length, str.length);
        return s;
    }

    /** {@code y[i] = f(x[i])} for {@code n} values; CLIP uses {@code p0, p1}. */
    public static void unary(int op, float[] x, int xOff, float[] y, int n, float p0, float p1) {
        for (int i = 0; i < n; i++) {
            y[i] = unary(op, x[xOff + i], p0, p1);
        }
    }

    static float unary(int op, float v, float p0, float p1) {
        switch (op) {
            case NEGATIVE: return -v;
            case ABS: return Math.abs(v);
            case EXP: return (float) Math.exp(v);
            case LOG: return (float) Math.log(v);
            case SQRT: return (float) Math.sqrt(v);
            case SQUARE: return v * v;
            case TANH: return (float) Math.tanh(v);
            case SIGMOID: return (float) (1.0 / (1.0 + Math.exp(-(double) v)));
            case RELU: return v > 0f ? v : 0f;
            case RECIPROCAL: return 1f / v;
            case SIN: return (float) Math.sin(v);
            case COS: return (float) Math.cos(v);
            case FLOOR: return (float) Math.floor(v);
            case CEIL: return (float) Math.ceil(v);
            case ROUND: return (float) Math.rint(v);
            case SIGN: return Math.signum(v);
            case LOG1P: return (float) Math.log1p(v);
            case EXPM1: return (float) Math.expm1(v);
            case NOT: return v == 0f ? 1f : 0f;
            case TRUNC: return v < 0f ? (float) Math.ceil(v) : (float) Math.floor(v);
            case NONZERO: return v != 0f ? 1f : 0f;
            case SOFTPLUS: return (float) (Math.max(v, 0.0) + Math.log1p(Math.exp(-Math.abs((double) v))));
            case RSQRT: return (float) (1.0 / Math.sqrt(v));
            case ERF: return (float) Erf.erf(v);
            case SILU: return (float) (v / (1.0 + Math.exp(-(double) v)));
            case ZERO: return 0f;
            case ONE: return 1f;
            case CLIP: return Math.min(Math.max(v, p0), p1);
            default: return v;
        }
    }

    static float binary(int op, float a, float b) {
        switch (op) {
            case ADD: return a + b;
            case SUBTRACT: return a - b;
            case MULTIPLY: return a * b;
            case DIVIDE: return a / b;
            case POWER: return (float) Math.pow(a, b);
            case MAXIMUM: return Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.max(a, b);
            case MINIMUM: return Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.min(a, b);
            case MOD: {
                float r = a % b;
                return r != 0f && ((r < 0f) != (b < 0f)) ? r + b : r;
            }
            case FLOOR_DIVIDE: return (float) Math.floor(a / b);
            case EQUAL: return a == b ? 1f : 0f;
            case NOT_EQUAL: return a != b ? 1f : 0f;
            case GREATER: return a > b ? 1f : 0f;
            case GREATER_EQUAL: return a >= b ? 1f : 0f;
            case LESS: return a < b ? 1f : 0f;
            case LESS_EQUAL: return a <= b ? 1f : 0f;
            case AND: return a != 0f && b != 0f ? 1f : 0f;
            case OR: return a != 0f || b != 0f ? 1f : 0f;
            case XOR: return (a != 0f) != (b != 0f) ? 1f : 0f;
            default: throw new IllegalArgumentException("binary op " + op);
        }
    }

    /** {@code y = a op b} broadcast to {@code shape} (contiguous {@code y}). */
    public static void binary(int op, float[] a, int aOff, int[] aStr, float[] b, int bOff, int[] bStr,
                              float[] y, int[] shape, int n0) {
        int[] d = dims(shape, n0);
        int[] sa = str5(aStr);
        int[] sb = str5(bStr);
        int k = 0;
        for (int i0 = 0; i0 < d[0]; i0++)
        for (int i1 = 0; i1 < d[1]; i1++)
        for (int i2 = 0; i2 < d[2]; i2++)
        for (int i3 = 0; i3 < d[3]; i3++) {
            int pa = aOff + i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3];
            int pb = bOff + i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3];
            for (int i4 = 0; i4 < d[4]; i4++) {
                y[k++] = binary(op, a[pa + i4 * sa[4]], b[pb + i4 * sb[4]]);
            }
        }
    }

    /** {@code y = c ? a : b} broadcast to {@code shape}. */
    public static void where(float[] c, int cOff, int[] cStr, float[] a, int aOff, int[] aStr,
                             float[] b, int bOff, int[] bStr, float[] y, int[] shape, int n0) {
        int[] d = dims(shape, n0);
        int[] sc = str5(cStr);
        int[] sa = str5(aStr);
        int[] sb = str5(bStr);
        int k = 0;
        for (int i0 = 0; i0 < d[0]; i0++)
        for (int i1 = 0; i1 < d[1]; i1++)
        for (int i2 = 0; i2 < d[2]; i2++)
        for (int i3 = 0; i3 < d[3]; i3++)
        for (int i4 = 0; i4 < d[4]; i4++) {
            int pc = cOff + i0 * sc[0] + i1 * sc[1] + i2 * sc[2] + i3 * sc[3] + i4 * sc[4];
            int pa = aOff + i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3] + i4 * sa[4];
            int pb = bOff + i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3] + i4 * sb[4];
            y[k++] = c[pc] != 0f ? a[pa] : b[pb];
        }
    }

    /**
     * Strided copy over {@code shape}: {@code y[yOff + i.yStr] = x[xOff + start0 * stride0 + i.xStr]}
     * ({@code start0} selects timesteps of a variable first axis).
     */
    public static void copy(float[] x, int xOff, int[] xStr, int start0, int stride0,
                            float[] y, int yOff, int[] yStr, int[] shape, int n0) {
        xOff += start0 * stride0;
        int[] d = dims(shape, n0);
        int[] sx = str5(xStr);
        int[] sy = str5(yStr);
        for (int i0 = 0; i0 < d[0]; i0++)
        for (int i1 = 0; i1 < d[1]; i1++)
        for (int i2 = 0; i2 < d[2]; i2++)
        for (int i3 = 0; i3 < d[3]; i3++) {
            int px = xOff + i0 * sx[0] + i1 * sx[1] + i2 * sx[2] + i3 * sx[3];
            int py = yOff + i0 * sy[0] + i1 * sy[1] + i2 * sy[2] + i3 * sy[3];
            for (int i4 = 0; i4 < d[4]; i4++) {
                y[py + i4 * sy[4]] = x[px + i4 * sx[4]];
            }
        }
    }

    /** Timestep {@code i} of {@code rows} ({@code i < 0} counts from the end), checked. */
    public static int index(int i, int rows) {
        int k = i < 0 ? i + rows : i;
        if (k < 0 || k >= rows) {
            throw new IllegalArgumentException("index " + i + " is out of range for " + rows + " timesteps");
        }
        return k;
    }

    /** Python's {@code len(range(*slice(start, stop, step).indices(n)))}; MIN_VALUE marks None. */
    public static int sliceLength(int n, int start, int stop, int step) {
        int s = sliceStart(n, start, step);
        int e;
        if (stop == Integer.MIN_VALUE) {
            e = step > 0 ? n : -1;
        } else {
            e = stop < 0 ? stop + n : stop;
            e = step > 0 ? Math.min(Math.max(e, 0), n) : Math.min(Math.max(e, -1), n - 1);
        }
        int len = step > 0 ? (e - s + step - 1) / step : (s - e - step - 1) / -step;
        return Math.max(len, 0);
    }

    /** The first index of {@code slice(start, stop, step)} over {@code n} items; MIN_VALUE marks None. */
    public static int sliceStart(int n, int start, int step) {
        if (start == Integer.MIN_VALUE) {
            return step > 0 ? 0 : n - 1;
        }
        int s = start < 0 ? start + n : start;
        return step > 0 ? Math.min(Math.max(s, 0), n) : Math.min(Math.max(s, -1), n - 1);
    }

    /**
     * Reduces {@code x} (contiguous, {@code shape}) over the axes whose {@code yStr}
     * entry is 0; {@code yStr} gives each kept axis' stride in the contiguous output
     * of {@code outLen} floats.  MEAN divides by the number of reduced values.
     */
    public static void reduce(int op, float[] x, int[] shape, int n0, int[] yStr, float[] y, int outLen) {
        float init = op == MAX ? Float.NEGATIVE_INFINITY : op == MIN ? Float.POSITIVE_INFINITY
                : (op == ALL || op == PROD) ? 1f : 0f;
        java.util.Arrays.fill(y, 0, outLen, init);
        int[] d = dims(shape, n0);
        int[] sy = str5(yStr);
        int total = d[0] * d[1] * d[2] * d[3] * d[4];
        int k = 0;
        for (int i0 = 0; i0 < d[0]; i0++)
        for (int i1 = 0; i1 < d[1]; i1++)
        for (int i2 = 0; i2 < d[2]; i2++)
        for (int i3 = 0; i3 < d[3]; i3++)
        for (int i4 = 0; i4 < d[4]; i4++) {
            int p = i0 * sy[0] + i1 * sy[1] + i2 * sy[2] + i3 * sy[3] + i4 * sy[4];
            float v = x[k++];
            switch (op) {
                case SUM: case MEAN: y[p] += v; break;
                case PROD: y[p] *= v; break;
                case MAX: y[p] = Float.isNaN(v) || v > y[p] ? v : y[p]; break;
                case MIN: y[p] = Float.isNaN(v) || v < y[p] ? v : y[p]; break;
                case ANY: y[p] = (y[p] != 0f || v != 0f) ? 1f : 0f; break;
                case ALL: y[p] = (y[p] != 0f && v != 0f) ? 1f : 0f; break;
                default: throw new IllegalArgumentException("reduce op " + op);
            }
        }
        if (op == MEAN && outLen > 0) {
            float count = (float) (total / outLen);
            for (int i = 0; i < outLen; i++) {
                y[i] /= count;
            }
        }
    }

    /**
     * Batched matrix product: for each index of the (broadcast) batch {@code shape},
     * {@code y[b] = a[b] (m x k) . b[b] (k x n)}; {@code aStr}/{@code bStr} are the
     * batch strides of the operands, {@code y} is contiguous.
     */
    public static void matmul(float[] a, int[] aStr, float[] b, int[] bStr, int[] shape, int n0,
                              int m, int k, int n, float[] y) {
        int[] d = dims(shape, n0);
        int[] sa = str5(aStr);
        int[] sb = str5(bStr);
        int yo = 0;
        for (int i0 = 0; i0 < d[0]; i0++)
        for (int i1 = 0; i1 < d[1]; i1++)
        for (int i2 = 0; i2 < d[2]; i2++)
        for (int i3 = 0; i3 < d[3]; i3++)
        for (int i4 = 0; i4 < d[4]; i4++) {
            int pa = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3] + i4 * sa[4];
            int pb = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3] + i4 * sb[4];
            for (int r = 0; r < m; r++) {
                for (int c = 0; c < n; c++) {
                    float s = 0f;
                    for (int j = 0; j < k; j++) {
                        s += a[pa + r * k + j] * b[pb + j * n + c];
                    }
                    y[yo++] = s;
                }
            }
        }
    }
}
