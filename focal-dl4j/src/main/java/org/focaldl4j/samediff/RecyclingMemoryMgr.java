package org.focaldl4j.samediff;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The memory of one thread's SameDiff sessions of a loss graph: every array a call's ops allocate is lent for that
 * call and recycled for the next, once {@link #endCall()} says the call's results have been copied out.
 *
 * <p>SameDiff 1.0.0-M2.1's sessions release almost none of the arrays of a gradient execution (3 of 123 for the
 * sigmoid focal loss), so its {@code ArrayCacheMemoryMgr} never reuses them: every call allocated ~470 MB of fresh
 * off-heap memory for 1M logits and spent most of its time in page faults. Here a call's arrays come from the
 * previous call's, by data type, order and shape; at the end of a call the arrays it did not reuse are dropped, so
 * between calls one call's arrays are held, and after a change of minibatch size only the new size's (the dropped
 * ones are freed when the garbage collector finds them). The arrays are detached from any workspace; ops overwrite
 * their outputs, so a recycled array's old contents are never read. Shapes with a zero dimension are not pooled.
 */
final class RecyclingMemoryMgr extends AbstractMemoryMgr {

    private record Key(DataType type, char order, List<Long> shape) {
        static Key of(DataType type, char order, long[] shape) {
            List<Long> s = new ArrayList<>(shape.length);
            for (long d : shape) {
                s.add(d);
            }
            return new Key(type, order, s);
        }
    }

    /** Arrays of the previous call, free for this one. */
    private Map<Key, ArrayDeque<INDArray>> free = new HashMap<>();
    /** Arrays lent during this call. */
    private Map<Key, ArrayDeque<INDArray>> lent = new HashMap<>();
    /** Arrays made because none was free (for tests: a steady loop makes none after its first call). */
    private long fresh;

    long freshArrays() {
        return fresh;
    }

    /** The call's arrays become free for the next call; free arrays this call did not take are dropped. */
    void endCall() {
        free = lent;
        lent = new HashMap<>();
    }

    private INDArray take(DataType type, char order, long[] shape) {
        for (long d : shape) {
            if (d == 0) {
                return Nd4j.create(type, shape, order).detach();
            }
        }
        Key key = Key.of(type, order, shape);
        ArrayDeque<INDArray> pool = free.get(key);
        INDArray a;
        if (pool == null || pool.isEmpty()) {
            a = Nd4j.createUninitializedDetached(type, order, shape);
            fresh++;
        } else {
            a = pool.pop();
        }
        lent.computeIfAbsent(key, k -> new ArrayDeque<>()).push(a);
        return a;
    }

    @Override
    public INDArray allocate(boolean detached, DataType dataType, long... shape) {
        return take(dataType, Nd4j.order(), shape);
    }

    @Override
    public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
        Objects.requireNonNull(descriptor, "descriptor");
        if (descriptor.isEmpty()) {
            return Nd4j.create(descriptor).detach();
        }
        return take(descriptor.dataType(), descriptor.getOrder(), descriptor.getShape());
    }

    /** Lent arrays stay lent until {@link #endCall()}: the session may still read them. */
    @Override
    public void release(INDArray array) {
    }

    @Override
    public void close() {
        free.clear();
        lent.clear();
    }
}
