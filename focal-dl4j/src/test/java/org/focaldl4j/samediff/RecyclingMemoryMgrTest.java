package org.focaldl4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;

/** Lent for a call, free for the next by type, order and shape; what the next call does not reuse is dropped. */
class RecyclingMemoryMgrTest {

    @Test
    void aCallsArraysServeTheNextCallOnly() {
        RecyclingMemoryMgr m = new RecyclingMemoryMgr();
        INDArray a = m.allocate(false, DataType.FLOAT, 3, 4);
        INDArray b = m.allocate(false, DataType.FLOAT, 3, 4);
        INDArray c = m.allocate(false, DataType.DOUBLE, 3, 4);
        assertNotSame(a, b);
        assertFalse(a.isAttached());
        m.release(a);                                                 // still lent: not handed out again this call
        INDArray d = m.allocate(false, DataType.FLOAT, 3, 4);
        assertTrue(d != a && d != b);
        m.endCall();

        INDArray x = m.allocate(false, DataType.FLOAT, 3, 4);         // one of the last call's three
        assertTrue(x == a || x == b || x == d);
        assertSame(c, m.allocate(false, DataType.DOUBLE, 3, 4));
        INDArray fOrder = m.allocate(false, LongShapeDescriptor.fromShape(new long[] {3, 4}, new long[] {1, 3}, 0, 'f',
                DataType.FLOAT, false));
        assertEquals('f', fOrder.ordering());
        assertTrue(fOrder != a && fOrder != b && fOrder != d, "another order is another array");
        m.endCall();

        // The two FLOAT [3, 4] arrays of the first call that the second did not take were dropped.
        assertSame(x, m.allocate(false, DataType.FLOAT, 3, 4));
        INDArray fresh = m.allocate(false, DataType.FLOAT, 3, 4);
        assertTrue(fresh != a && fresh != b && fresh != d && fresh != x);
        assertSame(fOrder, m.allocate(false, LongShapeDescriptor.fromShape(new long[] {3, 4}, new long[] {1, 3}, 0, 'f',
                DataType.FLOAT, false)));
    }

    @Test
    void zeroSizedShapesAreMadeEachTime() {
        RecyclingMemoryMgr m = new RecyclingMemoryMgr();
        INDArray empty = m.allocate(false, DataType.FLOAT, 0, 4);
        assertArrayEquals(new long[] {0, 4}, empty.shape());
        m.endCall();
        assertNotSame(empty, m.allocate(false, DataType.FLOAT, 0, 4));
    }
}
