package bench;

/** {@code java [flags] -cp benchmarks.jar bench.ActiveKernels}: the kernels the generated models use with those flags. */
public final class ActiveKernels {
    private ActiveKernels() {
    }

    public static void main(String[] a) {
        System.out.println(Models.kernels());
    }
}
