package org.focaldl4j.detection.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Integer anchor labels as the loss reads them: [M, A] class indices (k ∈ [0, K) a class, K background,
 * {@link AnchorLossLayer#IGNORE} ignored) → {[M, A·K] one-hot labels, [M, A·K] mask}, channel a·K + k, the mask 0 on
 * the K channels of an ignored anchor. {@link #check} validates the indices once; {@link #expand} trusts them.
 */
final class OneHotLabels {

    private OneHotLabels() {
    }

    /** Every entry of the [M, A] class indices (row-major) must be −1, 0..K−1 or K; the first that is not is named. */
    static void check(double[] indices, long anchors, int k) {
        for (int i = 0; i < indices.length; i++) {
            double v = indices[i];
            if (!(v >= AnchorLossLayer.IGNORE && v <= k && v == Math.rint(v))) {
                throw new IllegalArgumentException("AnchorLossLayer integer labels must be −1 (ignore), 0.."
                        + (k - 1) + " (class) or " + k + " (background); found " + v + " at row " + i / anchors
                        + " (image-major, then location), anchor " + i % anchors);
            }
        }
    }

    /**
     * The same from the indices row-major in an array. On the CPU: zeros, then the ones written by one Java pass
     * (ND4J's repeat/eq ops took about 10 ms per step on a 921,600-logit head); on other backends, and above
     * 2^28 entries, those ND4J ops. Each value must be an integer in [−1, K], as {@link #check} makes sure.
     */
    static INDArray[] expand(double[] indices, long m, long a, int k, DataType type) {
        long total = m * a * k;
        if (indices.length != m * a) {
            throw new IllegalArgumentException("expand needs M·A = " + m * a + " indices; got " + indices.length);
        }
        boolean dbl = type == DataType.DOUBLE;
        long[] shape = {m, a * k};
        DataType stored = dbl ? DataType.DOUBLE : DataType.FLOAT;
        if (!Nd4j.getEnvironment().isCPU() || total > Integer.MAX_VALUE / 8) {
            return withOps(indices, m, a, k, type);                   // other backends; beyond a ByteBuffer's reach
        }
        // CPU: the ones written straight into the off-heap buffers (Nd4j.create from a Java array costs ~5× more)
        INDArray hot = Nd4j.zeros(stored, shape);
        INDArray mask = Nd4j.zeros(stored, shape);
        java.nio.ByteBuffer h = hot.data().asNio().duplicate().order(java.nio.ByteOrder.nativeOrder());
        java.nio.ByteBuffer w = mask.data().asNio().duplicate().order(java.nio.ByteOrder.nativeOrder());
        int hOff = (int) hot.offset();
        int wOff = (int) mask.offset();
        for (int i = 0; i < indices.length; i++) {
            int v = (int) indices[i];
            if (v == AnchorLossLayer.IGNORE) {
                continue;                                                  // label 0, mask 0 on the anchor's K channels
            }
            int base = i * k;
            for (int c = 0; c < k; c++) {
                if (dbl) {
                    w.putDouble((wOff + base + c) * 8, 1.0);
                } else {
                    w.putFloat((wOff + base + c) * 4, 1f);
                }
            }
            if (v < k) {
                if (dbl) {
                    h.putDouble((hOff + base + v) * 8, 1.0);
                } else {
                    h.putFloat((hOff + base + v) * 4, 1f);
                }
            }
        }
        return new INDArray[] {hot.castTo(type), mask.castTo(type)};
    }

    /** {@link #expand} with ND4J ops (any backend, any size). */
    static INDArray[] withOps(double[] indices, long m, long a, int k, DataType type) {
        DataType stored = type == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        INDArray idx = Nd4j.create(indices, new long[] {m, a}, 'c').castTo(stored);
        INDArray repeated = perClass(idx, k);                                                   // [M, A·K]
        INDArray classes = Nd4j.arange(0, k).castTo(stored).reshape(1, 1, k)                    // 0..K−1 per anchor
                .repeat(1, a).reshape(1, a * k).repeat(0, m);
        return new INDArray[] {repeated.eq(classes).castTo(type), repeated.neq(AnchorLossLayer.IGNORE).castTo(type)};
    }

    /** [M, A] per anchor → [M, A·K], each anchor's value repeated on its K channels a·K … a·K + K − 1. */
    static INDArray perClass(INDArray perAnchor, int k) {
        long m = perAnchor.size(0);
        long a = perAnchor.size(1);
        return perAnchor.dup('c').reshape('c', m, a, 1).repeat(2, k).reshape('c', m, a * k);
    }

}
