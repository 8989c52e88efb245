package org.nd4j.nativeblas;

/**
 * Where DL4J 1.0.0-M2.1 looks for ND4J's oneDNN setting, answering from where ND4J keeps it.
 *
 * <p>DL4J's layer helpers ({@code MKLDNNConvHelper}, {@code MKLDNNSubsamplingHelper},
 * {@code MKLDNNBatchNormHelper}, {@code MKLDNNLocalResponseNormalizationHelper}) switch themselves on only when
 * {@code BaseMKLDNNHelper.mklDnnEnabled()} finds {@code org.nd4j.nativeblas.Nd4jCpu$Environment} and its
 * {@code getInstance().isUseMKLDNN()} is true. In 1.0.0-M2.1 ND4J's environment class is
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and its method {@code isUseONEDNN()}, so the
 * lookup fails and every convolution layer runs DL4J's Java im2col + GEMM path even on ND4J's oneDNN build.
 * This class restores the name DL4J looks for: {@link Environment#isUseMKLDNN()} is true when the loaded native
 * library was built with oneDNN ({@code HAVE_ONEDNN} in its build information) and ND4J's environment has oneDNN
 * enabled ({@code isUseONEDNN()}, which is true by default on every build, hence the build check). On ND4J's
 * default build it is false and DL4J behaves as without this class. The helpers themselves take FLOAT only and
 * leave other data types to DL4J's own path.
 *
 * <p>DL4J asks once per layer, when the layer is created, and only when its own switch allows helpers: the system
 * property {@code org.eclipse.deeplearning4j.helpers.disable} set to {@code false} (DL4J 1.0.0-M2.1 defaults it to
 * true). Both are needed; the property is DL4J's and holds for every network of the JVM. This artifact works on
 * the class path only: its package is also in {@code nd4j-native-api}, a split package on the module path.
 */
public final class Nd4jCpu {

    private Nd4jCpu() {
    }

    /** The one method of ND4J's environment that DL4J's oneDNN helpers read. */
    public static final class Environment {

        private static final Environment INSTANCE = new Environment();

        /** Whether the loaded native library has oneDNN; fixed for the life of the JVM. */
        private final boolean oneDnnBuild;

        private Environment() {
            oneDnnBuild = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().contains("HAVE_ONEDNN");
        }

        /**
         * The single instance, as DL4J's reflective lookup expects.
         *
         * @return the instance
         */
        public static Environment getInstance() {
            return INSTANCE;
        }

        /**
         * Whether libnd4j runs oneDNN: the native library was built with it and ND4J's {@code isUseONEDNN()}.
         *
         * @return true on ND4J's oneDNN build with oneDNN enabled, false otherwise
         */
        public boolean isUseMKLDNN() {
            return oneDnnBuild
                    && org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
        }
    }
}
