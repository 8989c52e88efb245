package org.focaldl4j.loss;

import java.util.Locale;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Chooses between the two implementations of an element-wise focal loss on the logit path:
 * <ul>
 *   <li><b>fused</b>: one pass over the CPU backend's off-heap buffers that validates the labels,
 *       counts positives and writes the per-row scores and the gradient, split across cores and, when
 *       the {@code jdk.incubator.vector} module is present ({@code --add-modules jdk.incubator.vector}),
 *       vectorised with the Vector API (FLOAT); otherwise plain Java loops in double arithmetic. It
 *       allocates nothing beyond the returned gradient and score array.</li>
 *   <li><b>ops</b>: backend-neutral ND4J ops (what runs on CUDA), used for everything the fused path
 *       does not take.</li>
 * </ul>
 * The fused path is taken when the backend is the CPU, the data type is FLOAT or DOUBLE, the
 * activation is the loss's logit activation, and labels, pre-outputs and any per-output mask are
 * contiguous 'c'-ordered arrays (views into a larger array and 'f' order take the op path).
 *
 * <p>Force the op path with the system property {@code -Dfocaldl4j.lossPath=ops} (default
 * {@code auto}); it is read on every call. Both paths agree to 1e-6 relative in DOUBLE
 * ({@code FusedPathTest}).
 */
public final class FusedPath {

    /** System property selecting the path: {@code auto} (default) or {@code ops}. */
    public static final String PROPERTY = "focaldl4j.lossPath";

    private static final boolean VECTOR_API = vectorApiUsable();

    private FusedPath() {
    }

    /** Whether {@code -Dfocaldl4j.lossPath=ops} forces the op path. */
    static boolean forcedOps() {
        return "ops".equals(System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT));
    }

    /** Whether the fused CPU kernel can take these arrays (any may be null). */
    static boolean applicable(INDArray... arrays) {
        if (forcedOps() || !Nd4j.getEnvironment().isCPU()) {
            return false;
        }
        DataType type = null;
        for (INDArray a : arrays) {
            if (a == null) {
                continue;
            }
            if (type == null) {
                type = a.dataType();
            }
            boolean ok = a.dataType() == type && (type == DataType.FLOAT || type == DataType.DOUBLE)
                    && a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a)
                    && a.length() <= Integer.MAX_VALUE / 8;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Whether FLOAT data is processed with the Vector API in this JVM. */
    public static boolean vectorized() {
        return VECTOR_API;
    }

    /** A one-line description of the fused kernel this JVM uses, for logs and benchmark reports. */
    public static String describe() {
        return VECTOR_API ? "fused, Vector API (" + VectorKernels.speciesName() + ") for FLOAT, scalar for DOUBLE"
                : "fused, scalar Java (start the JVM with --add-modules jdk.incubator.vector to vectorise)";
    }

    private static boolean vectorApiUsable() {
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            return false;
        }
        try {
            return VectorKernels.selfTest();
        } catch (Throwable t) {      // an unusable or very different incubator API: fall back, never fail
            return false;
        }
    }
}
