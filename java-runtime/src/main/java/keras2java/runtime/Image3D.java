package keras2java.runtime;

/**
 * Layers on {@code (depth, height, width, channels)} volumes, channels last,
 * for {@code images} volumes in a row: MaxPooling3D / AveragePooling3D
 * (padded positions never count, as in TensorFlow; a max over a NaN is NaN),
 * AdaptiveMax/AveragePooling3D (Keras' windows {@code [floor(i * n / out),
 * ceil((i + 1) * n / out))} per axis), ZeroPadding3D, Cropping3D and
 * UpSampling3D.  The global poolings are {@link Image2D#global}.
 */
public final class Image3D {
    public static final int MAX = 0;
    public static final int AVG = 1;

    private Image3D() {
    }

    /** Max or mean over the window {@code [z0, z1) x [y0, y1) x [x0, x1)} of one volume, into {@code y[yo..yo+c)}. */
    private static void window(int mode, float[] x, int xb, int h, int w, int c, int z0, int z1, int y0, int y1,
                               int x0, int x1, float[] y, int yo) {
        if (mode == MAX) {
            System.arraycopy(x, xb + ((z0 * h + y0) * w + x0) * c, y, yo, c);
        } else {
            java.util.Arrays.fill(y, yo, yo + c, 0f);
        }
        for (int iz = z0; iz < z1; iz++) {
            for (int iy = y0; iy < y1; iy++) {
                for (int ix = x0; ix < x1; ix++) {
                    final int b = xb + ((iz * h + iy) * w + ix) * c;
                    if (mode == MAX) {
                        for (int ch = 0; ch < c; ch++) {
                            y[yo + ch] = Math.max(y[yo + ch], x[b + ch]);
                        }
                    } else {
                        for (int ch = 0; ch < c; ch++) {
                            y[yo + ch] += x[b + ch];
                        }
                    }
                }
            }
        }
        if (mode == AVG) {
            final float count = (z1 - z0) * (y1 - y0) * (x1 - x0);
            for (int ch = 0; ch < c; ch++) {
                y[yo + ch] /= count;
            }
        }
    }

    public static void pool(int mode, float[] x, int images, int d, int h, int w, int c, int pd, int ph, int pw,
                            int sd, int sh, int sw, boolean same, float[] y, int outD, int outH, int outW) {
        final int padF = same ? Math.max((outD - 1) * sd + pd - d, 0) / 2 : 0;
        final int padT = same ? Math.max((outH - 1) * sh + ph - h, 0) / 2 : 0;
        final int padL = same ? Math.max((outW - 1) * sw + pw - w, 0) / 2 : 0;
        int yo = 0;
        for (int img = 0; img < images; img++) {
            final int xb = img * d * h * w * c;
            for (int oz = 0; oz < outD; oz++) {
                final int z0 = Math.max(oz * sd - padF, 0);
                final int z1 = Math.min(oz * sd - padF + pd, d);
                for (int oy = 0; oy < outH; oy++) {
                    final int y0 = Math.max(oy * sh - padT, 0);
                    final int y1 = Math.min(oy * sh - padT + ph, h);
                    for (int ox = 0; ox < outW; ox++) {
                        final int x0 = Math.max(ox * sw - padL, 0);
                        final int x1 = Math.min(ox * sw - padL + pw, w);
                        window(mode, x, xb, h, w, c, z0, z1, y0, y1, x0, x1, y, yo);
                        yo += c;
                    }
                }
            }
        }
    }

    /** Adaptive pooling to {@code (outD, outH, outW)}. */
    public static void adaptive(int mode, float[] x, int images, int d, int h, int w, int c, float[] y, int outD,
                                int outH, int outW) {
        int yo = 0;
        for (int img = 0; img < images; img++) {
            final int xb = img * d * h * w * c;
            for (int oz = 0; oz < outD; oz++) {
                for (int oy = 0; oy < outH; oy++) {
                    for (int ox = 0; ox < outW; ox++) {
                        window(mode, x, xb, h, w, c, start(oz, d, outD), end(oz, d, outD), start(oy, h, outH),
                               end(oy, h, outH), start(ox, w, outW), end(ox, w, outW), y, yo);
                        yo += c;
                    }
                }
            }
        }
    }

    private static int start(int i, int n, int out) {
        return Math.min(i * n / out, n - 1);
    }

    private static int end(int i, int n, int out) {
        return Math.min(((i + 1) * n + out - 1) / out, n);
    }

    /** ZeroPadding3D. */
    public static void pad(float[] x, int images, int d, int h, int w, int c, int front, int back, int top,
                           int bottom, int left, int right, float[] y) {
        final int outD = d + front + back;
        final int outH = h + top + bottom;
        final int outW = w + left + right;
        java.util.Arrays.fill(y, 0, images * outD * outH * outW * c, 0f);
        for (int img = 0; img < images; img++) {
            for (int z = 0; z < d; z++) {
                for (int r = 0; r < h; r++) {
                    System.arraycopy(x, (((img * d + z) * h + r) * w) * c, y,
                                     (((img * outD + z + front) * outH + r + top) * outW + left) * c, w * c);
                }
            }
        }
    }

    /** Cropping3D. */
    public static void crop(float[] x, int images, int d, int h, int w, int c, int front, int top, int left,
                            float[] y, int outD, int outH, int outW) {
        for (int img = 0; img < images; img++) {
            for (int z = 0; z < outD; z++) {
                for (int r = 0; r < outH; r++) {
                    System.arraycopy(x, (((img * d + z + front) * h + r + top) * w + left) * c, y,
                                     (((img * outD + z) * outH + r) * outW) * c, outW * c);
                }
            }
        }
    }

    /** UpSampling3D: every voxel repeated {@code sd x sh x sw} times. */
    public static void nearest(float[] x, int images, int d, int h, int w, int c, int sd, int sh, int sw,
                               float[] y) {
        int yo = 0;
        for (int img = 0; img < images; img++) {
            for (int z = 0; z < d * sd; z++) {
                for (int r = 0; r < h * sh; r++) {
                    final int xr = (((img * d + z / sd) * h + r / sh) * w) * c;
                    for (int col = 0; col < w * sw; col++) {
                        System.arraycopy(x, xr + (col / sw) * c, y, yo, c);
                        yo += c;
                    }
                }
            }
        }
    }
}
