package org.focaldl4j.loss;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fused kernel this JVM runs, chosen once: with the {@code jdk.incubator.vector} module in the boot layer
 * ({@code --add-modules jdk.incubator.vector}) and a CPU with fused multiply-add, FLOAT data is vectorised
 * ({@link VectorKernels}, after a self-test); otherwise plain Java loops in double arithmetic. A Vector API that
 * cannot be loaded is logged with its exception (WARN).
 */
final class KernelChoice {

    private static final Logger LOG = LoggerFactory.getLogger(KernelChoice.class);

    private KernelChoice() {
    }

    /** Whether FLOAT data is processed with the Vector API in this JVM. */
    static boolean vectorized() {
        return Kernel.VECTOR;
    }

    /** The kernel this JVM uses, and why. */
    static String describe() {
        return Kernel.DESCRIPTION;
    }

    /** The kernel choice, made once per JVM. */
    private static final class Kernel {
        static final boolean VECTOR;
        static final String DESCRIPTION;

        static {
            boolean vector = false;
            String why;
            if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
                why = "the jdk.incubator.vector module is not in this JVM (start it with --add-modules "
                        + "jdk.incubator.vector to vectorise FLOAT)";
            } else if (!hardwareFma()) {
                // The kernel is FMA throughout: without the instruction every lane would run Math.fma's exact
                // software fallback, far slower than the scalar kernel.
                why = "this CPU has no fused multiply-add (HotSpot's UseFMA is off)";
            } else {
                try {
                    vector = VectorMath.selfTest();
                    why = vector ? null : "the Vector API kernel failed its self-test";
                } catch (LinkageError | RuntimeException e) {        // an incubator API of another shape
                    why = "the Vector API could not be used: " + e;
                    LOG.warn("focal-dl4j: the Vector API kernel could not be loaded; using the scalar kernel", e);
                }
            }
            VECTOR = vector;
            DESCRIPTION = vector
                    ? "fused CPU kernel: Vector API (" + VectorMath.speciesName() + ") for FLOAT, scalar Java for DOUBLE"
                    : "fused CPU kernel: scalar Java, because " + why;
        }

        /** HotSpot's UseFMA flag (on when the CPU has FMA); true when it cannot be read (another JVM). */
        private static boolean hardwareFma() {
            try {
                com.sun.management.HotSpotDiagnosticMXBean hotspot = java.lang.management.ManagementFactory
                        .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
                return hotspot == null || !"false".equals(hotspot.getVMOption("UseFMA").getValue());
            } catch (RuntimeException | LinkageError e) {
                return true;
            }
        }
    }
}
