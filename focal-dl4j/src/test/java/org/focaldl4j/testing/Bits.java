package org.focaldl4j.testing;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The bits of every value of an array (as doubles): equal arrays of bits mean bit-identical results. */
public final class Bits {

    private Bits() {
    }

    public static long[] of(INDArray a) {
        double[] v = a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        long[] b = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Double.doubleToRawLongBits(v[i]);
        }
        return b;
    }
}
