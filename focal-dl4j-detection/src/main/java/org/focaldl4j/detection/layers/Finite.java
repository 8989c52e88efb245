package org.focaldl4j.detection.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** Where an array holds its first NaN or infinity, for error messages that name the position. */
final class Finite {

    private Finite() {
    }

    /** The index [i, j, …] of the first NaN or ±∞ of {@code a} in row-major order, or null when every value is finite. */
    static long[] firstNonFinite(INDArray a) {
        if (a.isEmpty() || !BooleanIndexing.or(a, Conditions.notFinite())) {
            return null;
        }
        INDArray c = a.dup('c');
        double[] values = c.data().asDouble();
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                return Shape.ind2subC(c.shape(), i);
            }
        }
        return null;
    }

    /**
     * A mask of an anchor layer: every value finite and ≥ 0, else refused naming the first bad value at its index in
     * the caller's array (not in the layer's internal 2-D layout).
     */
    static void checkMask(INDArray mask, String who, String layerId) {
        long[] at = firstNonFinite(mask);
        if (at == null && mask.minNumber().doubleValue() < 0) {
            INDArray c = mask.dup('c');
            double[] values = c.data().asDouble();
            for (int i = 0; i < values.length && at == null; i++) {
                if (values[i] < 0) {
                    at = Shape.ind2subC(c.shape(), i);
                }
            }
        }
        if (at != null) {
            throw new IllegalArgumentException(who + " mask values must be finite and >= 0 (0 excludes an entry, other "
                    + "values weight it); mask" + java.util.Arrays.toString(at) + " is " + mask.getDouble(at) + " "
                    + layerId);
        }
    }
}
