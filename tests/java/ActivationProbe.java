import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.lang.reflect.Method;

/**
 * Evaluates a runtime Activation on float32 values: {@code java ActivationProbe
 * <runtimeClass> <kind> <alpha> <in.bin> <out.bin>}; files are int32 count + LE floats.
 */
public final class ActivationProbe {
    public static void main(String[] a) throws Exception {
        Class<?> cls = Class.forName(a[0]);
        int kind = Integer.parseInt(a[1]);
        float alpha = Float.parseFloat(a[2]);
        Object act = kind == 6 ? cls.getMethod("elu", float.class).invoke(null, alpha)
                : cls.getMethod("of", int.class).invoke(null, kind);
        Method apply = cls.getMethod("applyRows", float[].class, int.class, int.class, int.class);
        DataInputStream in = new DataInputStream(new FileInputStream(a[3]));
        int n = Integer.reverseBytes(in.readInt());
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Float.intBitsToFloat(Integer.reverseBytes(in.readInt()));
        }
        in.close();
        apply.invoke(act, v, 0, 1, n);
        DataOutputStream out = new DataOutputStream(new FileOutputStream(a[4]));
        out.writeInt(Integer.reverseBytes(n));
        for (float f : v) {
            out.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(f)));
        }
        out.close();
    }
}
