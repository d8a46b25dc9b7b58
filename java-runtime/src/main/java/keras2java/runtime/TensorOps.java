package keras2java.runtime;

/**
 * The tensor kernels of keras2java's one tensor-op IR ({@code ops/tensor_ops.py}),
 * which both {@code keras.ops} calls recorded in Functional models and the ops
 * plugins compose are lowered to: elementwise, broadcasting, reductions, strided
 * copies (slicing, transposes), matrix products, softmax over any axis and the
 * reversal of the timestep axis, over small row-major tensors.
 *
 * <p>Most kernels walk a five-axis index space: their shapes and strides have
 * five entries (the generator pads a lower rank with leading axes of size 1 and
 * stride 0).  A shape entry -1 is the variable first axis (timesteps), of
 * size {@code n0} in this call.  Strides are in floats, for the output as for
 * the inputs; a stride of 0 broadcasts an axis.  Booleans are 0 and 1.  Calls
 * never allocate.
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

    /**
     * Row kernels of {@link #walk}: {@code y = a op b}, {@code y = a ? b : c}, {@code y = a},
     * {@code y = y op a} (a reduction), {@code y = a . b} (a row of matrix products).
     */
    private static final int BINARY_ROW = 0, WHERE_ROW = 1, COPY_ROW = 2, REDUCE_ROW = 3, MATMUL_ROW = 4;

    /** The strides of an input a row kernel does not read. */
    private static final int[] UNUSED = {0, 0, 0, 0, 0};

    /** A constant operand of one operation node (copied from the weights). */
    public final float[] c;

    public TensorOps(float[] data, int off, int len) {
        c = java.util.Arrays.copyOfRange(data, off, off + len);
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
            case RELU: return v > 0f || v != v ? v : 0f; // NaN stays NaN, as in TensorFlow
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

    /** {@code y = a op b} over {@code shape}. */
    public static void binary(int op, float[] a, int[] aStr, float[] b, int[] bStr,
                              float[] y, int[] yStr, int[] shape, int n0) {
        walk(BINARY_ROW, op, shape, n0, y, yStr, a, 0, aStr, b, bStr, null, UNUSED, 0, 0, 0);
    }

    /** {@code y = c ? a : b} over {@code shape}. */
    public static void where(float[] c, int[] cStr, float[] a, int[] aStr, float[] b, int[] bStr,
                             float[] y, int[] yStr, int[] shape, int n0) {
        walk(WHERE_ROW, 0, shape, n0, y, yStr, c, 0, cStr, a, aStr, b, bStr, 0, 0, 0);
    }

    /**
     * Strided copy over {@code shape}: {@code y[i.yStr] = x[xOff + start0 * stride0 + i.xStr]}
     * ({@code start0} selects timesteps of a variable first axis).
     */
    public static void copy(float[] x, int xOff, int[] xStr, int start0, int stride0,
                            float[] y, int[] yStr, int[] shape, int n0) {
        walk(COPY_ROW, 0, shape, n0, y, yStr, x, xOff + start0 * stride0, xStr, null, UNUSED, null, UNUSED, 0, 0, 0);
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
     * Reduces {@code x} ({@code shape}, strides {@code xStr}) over the axes whose
     * {@code yStr} entry is 0; {@code yStr} gives each kept axis' stride in the
     * contiguous output of {@code outLen} floats.  MEAN divides by the number of
     * reduced values.
     */
    public static void reduce(int op, float[] x, int[] xStr, int[] shape, int n0, float[] y, int[] yStr,
                              int outLen) {
        float init = op == MAX ? Float.NEGATIVE_INFINITY : op == MIN ? Float.POSITIVE_INFINITY
                : (op == ALL || op == PROD) ? 1f : 0f;
        java.util.Arrays.fill(y, 0, outLen, init);
        walk(REDUCE_ROW, op, shape, n0, y, yStr, x, 0, xStr, null, UNUSED, null, UNUSED, 0, 0, 0);
        if (op == MEAN && outLen > 0) {
            int total = 1;
            for (int d : shape) {
                total *= size(d, n0);
            }
            float count = (float) (total / outLen);
            for (int i = 0; i < outLen; i++) {
                y[i] /= count;
            }
        }
    }

    static float reduce(int op, float acc, float v) {
        switch (op) {
            case SUM: case MEAN: return acc + v;
            case PROD: return acc * v;
            case MAX: return Float.isNaN(v) || v > acc ? v : acc;
            case MIN: return Float.isNaN(v) || v < acc ? v : acc;
            case ANY: return acc != 0f || v != 0f ? 1f : 0f;
            case ALL: return acc != 0f && v != 0f ? 1f : 0f;
            default: throw new IllegalArgumentException("reduce op " + op);
        }
    }

    /**
     * Batched matrix product: for each index of the (broadcast) batch {@code shape},
     * {@code y[b] = a[b] (m x k) . b[b] (k x n)}; the strides are those of the
     * operands' matrices over the batch axes.
     */
    public static void matmul(float[] a, int[] aStr, float[] b, int[] bStr, float[] y, int[] yStr,
                              int[] shape, int n0, int m, int k, int n) {
        walk(MATMUL_ROW, 0, shape, n0, y, yStr, a, 0, aStr, b, bStr, null, UNUSED, m, k, n);
    }

    /**
     * {@code y = a . b} for one {@code m x k} matrix {@code a} and {@code k x n} matrix {@code b}; each
     * output summed in double (each float product exact) and rounded once (as Merge.dot).
     */
    private static void product(float[] a, int pa, float[] b, int pb, float[] y, int py, int m, int k, int n) {
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                double s = 0;
                for (int j = 0; j < k; j++) {
                    s += (double) a[pa + r * k + j] * b[pb + j * n + c];
                }
                y[py++] = (float) s;
            }
        }
    }

    private static int size(int d, int n0) {
        return d < 0 ? n0 : d;
    }

    private static int offset(int off, int[] str, int i0, int i1, int i2, int i3) {
        return off + i0 * str[0] + i1 * str[1] + i2 * str[2] + i3 * str[3];
    }

    /**
     * The one loop nest of the kernels: visits the index space of {@code shape} in
     * row-major order, one row (the innermost axis) at a time, tracks the offsets of
     * the output {@code y} and of the inputs {@code a} (from {@code aOff}), {@code b}
     * and {@code c} from their strides, and applies the row kernel {@code kind} to
     * the row ({@code op} the elementwise function or reduction; {@code m, k, n} the
     * matrix sizes of MATMUL_ROW).
     */
    private static void walk(int kind, int op, int[] shape, int n0, float[] y, int[] sy,
                             float[] a, int aOff, int[] sa, float[] b, int[] sb, float[] c, int[] sc,
                             int m, int k, int n) {
        int d0 = size(shape[0], n0), d1 = size(shape[1], n0), d2 = size(shape[2], n0);
        int d3 = size(shape[3], n0), d4 = size(shape[4], n0);
        int ty = sy[4], ta = sa[4], tb = sb[4], tc = sc[4];
        for (int i0 = 0; i0 < d0; i0++)
        for (int i1 = 0; i1 < d1; i1++)
        for (int i2 = 0; i2 < d2; i2++)
        for (int i3 = 0; i3 < d3; i3++) {
            int py = offset(0, sy, i0, i1, i2, i3);
            int pa = offset(aOff, sa, i0, i1, i2, i3);
            int pb = offset(0, sb, i0, i1, i2, i3);
            int pc = offset(0, sc, i0, i1, i2, i3);
            switch (kind) {
                case BINARY_ROW:
                    for (int i = 0; i < d4; i++) {
                        y[py + i * ty] = binary(op, a[pa + i * ta], b[pb + i * tb]);
                    }
                    break;
                case WHERE_ROW:
                    for (int i = 0; i < d4; i++) {
                        y[py + i * ty] = a[pa + i * ta] != 0f ? b[pb + i * tb] : c[pc + i * tc];
                    }
                    break;
                case COPY_ROW:
                    for (int i = 0; i < d4; i++) {
                        y[py + i * ty] = a[pa + i * ta];
                    }
                    break;
                case REDUCE_ROW:
                    for (int i = 0; i < d4; i++) {
                        y[py + i * ty] = reduce(op, y[py + i * ty], a[pa + i * ta]);
                    }
                    break;
                case MATMUL_ROW:
                    for (int i = 0; i < d4; i++) {
                        product(a, pa + i * ta, b, pb + i * tb, y, py + i * ty, m, k, n);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("row kernel " + kind);
            }
        }
    }

    // -- kernels over one axis, seen as the row-major view (outer, n, inner) around it ------------

    /** {@code y} = the {@code steps} rows of {@code width} floats of {@code x} in reverse order. */
    public static void reverseSteps(float[] x, int steps, int width, float[] y) {
        for (int t = 0; t < steps; t++) {
            System.arraycopy(x, t * width, y, (steps - 1 - t) * width, width);
        }
    }

    /**
     * Softmax over the middle axis of {@code x} seen as {@code (outer, n, inner)}:
     * {@code exp(x - max) / sum(exp(x - max))}, summed in double.
     */
    public static void softmax(float[] x, int outer, int n, int inner, float[] y) {
        for (int o = 0; o < outer; o++) {
            final int base = o * n * inner;
            for (int i = 0; i < inner; i++) {
                final int start = base + i;
                float max = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < n; k++) {
                    max = Math.max(max, x[start + k * inner]);
                }
                double sum = 0.0;
                for (int k = 0; k < n; k++) {
                    sum += Math.exp((double) x[start + k * inner] - max);
                }
                for (int k = 0; k < n; k++) {
                    final int p = start + k * inner;
                    y[p] = (float) (Math.exp((double) x[p] - max) / sum);
                }
            }
        }
    }

    /**
     * Reduces the middle axis of {@code x} seen as {@code (outer, n, inner)} into
     * {@code y} seen as {@code (outer, inner)}: {@link #SUM} and {@link #MEAN}
     * accumulate in double (unlike {@link #reduce}, which sums in float), {@link #MAX}
     * propagates NaN.
     */
    public static void reduceInDouble(int mode, float[] x, int outer, int n, int inner, float[] y) {
        if (mode != SUM && mode != MEAN && mode != MAX) {
            throw new IllegalArgumentException("unknown reduction " + mode);
        }
        for (int o = 0; o < outer; o++) {
            final int base = o * n * inner;
            for (int i = 0; i < inner; i++) {
                final int start = base + i;
                if (mode == MAX) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int k = 0; k < n; k++) {
                        final float v = x[start + k * inner];
                        m = v > m || v != v ? v : m;
                        if (m != m) {
                            break;
                        }
                    }
                    y[o * inner + i] = m;
                } else {
                    double s = 0.0;
                    for (int k = 0; k < n; k++) {
                        s += x[start + k * inner];
                    }
                    y[o * inner + i] = (float) (mode == MEAN ? s / n : s);
                }
            }
        }
    }

    /**
     * {@code y (m, n) = op(a) . op(b)}, summed in double (unlike {@link #matmul}, which sums in float).  {@code op(a)} is {@code a}
     * stored {@code (m, k)}, or with {@code transA} the transpose of {@code a}
     * stored {@code (k, m)}; {@code op(b)} is {@code b} stored {@code (k, n)}, or
     * with {@code transB} the transpose of {@code b} stored {@code (n, k)}.
     */
    public static void matmulInDouble(float[] a, int m, int k, boolean transA, float[] b, int n, boolean transB,
                                      float[] y) {
        final int ai = transA ? 1 : k;      // stride of a's row index i
        final int ap = transA ? m : 1;      // stride of the contracted index p in a
        final int bp = transB ? 1 : n;      // stride of p in b
        final int bj = transB ? k : 1;      // stride of b's column index j
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * ai + p * ap] * b[p * bp + j * bj];
                }
                y[i * n + j] = (float) s;
            }
        }
    }
}
