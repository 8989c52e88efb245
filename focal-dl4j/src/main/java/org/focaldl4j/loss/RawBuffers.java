package org.focaldl4j.loss;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Java passes over ND4J's off-heap CPU buffers, for arrays {@link FusedEligibility#canRead} accepts: a view of the
 * buffer, and the first value a mask may not hold.
 */
final class RawBuffers {

    private RawBuffers() {
    }

    /** The off-heap CPU buffer of {@code a} (all of it, from element 0) as an independent native-order view. */
    static ByteBuffer buffer(INDArray a) {
        return a.data().asNio().duplicate().order(ByteOrder.nativeOrder());
    }

    /** The flat index of the first value of {@code a} ({@link FusedEligibility#canRead}) that is negative, NaN or infinite, or −1. */
    static long firstNegativeOrNotFinite(INDArray a) {
        ByteBuffer b = buffer(a);
        int off = (int) a.offset();
        int n = (int) a.length();
        boolean isFloat = a.dataType() == DataType.FLOAT;
        for (int i = 0; i < n; i++) {
            double v = isFloat ? b.getFloat((off + i) * 4) : b.getDouble((off + i) * 8);
            if (!(v >= 0.0) || v == Double.POSITIVE_INFINITY) {
                return i;
            }
        }
        return -1;
    }
}
