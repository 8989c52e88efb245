package org.focaldl4j.loss;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the fused CPU kernel can take a call's arrays: it reads ND4J's off-heap CPU buffers directly, so it takes
 * only the CPU backend, FLOAT or DOUBLE, contiguous 'c'-ordered arrays of one dtype and at most 2^28 elements;
 * anything else goes to the op path. Each distinct reason, and the kernel this JVM runs, is logged once (INFO).
 */
final class FusedEligibility {

    private static final Logger LOG = LoggerFactory.getLogger(FusedEligibility.class);

    /** Reasons already logged: a handful of fixed strings, so the set stays small. */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private FusedEligibility() {
    }

    /**
     * Null when the fused kernel can take these arrays (any may be null), else the reason it cannot,
     * which is logged once per distinct reason.
     */
    static String whyNot(INDArray... arrays) {
        String reason = reason(arrays);
        if (reason != null) {
            logOnce("focal-dl4j: op path for " + reason);
        } else {
            logOnce("focal-dl4j: " + KernelChoice.describe());
        }
        return reason;
    }

    private static String reason(INDArray... arrays) {
        if (!Nd4j.getEnvironment().isCPU()) {
            return "a backend other than the CPU";
        }
        DataType type = null;
        for (INDArray a : arrays) {
            if (a == null) {
                continue;
            }
            if (type == null) {
                type = a.dataType();
            }
            if (type != DataType.FLOAT && type != DataType.DOUBLE) {
                return type + " data (the fused kernel takes FLOAT and DOUBLE)";
            }
            if (a.dataType() != type) {
                return "arrays of mixed data types";
            }
            if (a.ordering() != 'c' || !Shape.hasDefaultStridesForShape(a)) {
                return "'f'-ordered or strided (view) arrays";
            }
            if (a.length() > Integer.MAX_VALUE / 8) {
                return "arrays of more than 2^28 elements";
            }
        }
        return null;
    }

    private static void logOnce(String message) {
        if (LOGGED.add(message)) {
            LOG.info(message);
        }
    }

    /** Whether a Java pass can read {@code a} from its buffer: the CPU backend, a contiguous 'c' FLOAT or DOUBLE array. */
    static boolean canRead(INDArray a) {
        return reason(a) == null;
    }
}
