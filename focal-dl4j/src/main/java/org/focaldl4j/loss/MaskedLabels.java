package org.focaldl4j.loss;

import java.nio.ByteBuffer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Labels under a mask: a masked entry affects nothing (DL4J's contract), so what it holds there (an "ignore" marker
 * such as −1, or NaN) is neither validated nor computed with. {@link #zeroed} gives the labels with 0 wherever the
 * mask is 0, without touching the caller's arrays: on the CPU one Java pass over both buffers, elsewhere ND4J ops.
 */
final class MaskedLabels {

    private MaskedLabels() {
    }

    /** {@code labels} with 0 wherever {@code mask} (per entry, or per row [rows, 1]) is 0; the labels themselves when no mask value is 0. */
    static INDArray zeroed(INDArray labels, INDArray mask) {
        if (mask == null) {
            return labels;
        }
        if (canZeroMasked(labels, mask)) {                 // CPU: one Java pass (the op below takes ~100 ns per entry)
            return zeroMasked(labels, mask);
        }
        if (mask.minNumber().doubleValue() != 0.0) {
            return labels;
        }
        INDArray excluded = mask.size(1) == labels.size(1) ? mask.eq(0.0)
                : Nd4j.ones(DataType.DOUBLE, labels.shape()).muliColumnVector(mask.castTo(DataType.DOUBLE)).eq(0.0);
        return labels.putWhereWithMask(excluded, Nd4j.scalar(labels.dataType(), 0.0));   // a copy: 0 where excluded
    }

    /**
     * Whether {@link #zeroMasked} can take these arrays: the CPU backend, contiguous 'c' FLOAT or DOUBLE arrays
     * (each its own type), a mask of the labels' shape or [rows, 1], at most 2^28 entries.
     */
    static boolean canZeroMasked(INDArray labels, INDArray mask) {
        return FusedEligibility.canRead(labels) && FusedEligibility.canRead(mask) && labels.rank() == 2 && mask.rank() == 2
                && mask.size(0) == labels.size(0) && (mask.size(1) == 1 || mask.size(1) == labels.size(1));
    }

    /**
     * {@code labels}, or a copy with 0 wherever the mask (per entry, or per row [rows, 1]) is 0 when there is
     * any such entry: what the op path's putWhereWithMask gives, in one pass over both arrays.
     */
    static INDArray zeroMasked(INDArray labels, INDArray mask) {
        int rows = (int) labels.size(0);
        int cols = (int) labels.size(1);
        int maskCols = (int) mask.size(1);
        ByteBuffer m = RawBuffers.buffer(mask);
        int mOff = (int) mask.offset();
        boolean mFloat = mask.dataType() == DataType.FLOAT;
        INDArray out = null;
        ByteBuffer o = null;
        int oOff = 0;
        boolean lFloat = labels.dataType() == DataType.FLOAT;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < maskCols; c++) {
                int e = mOff + r * maskCols + c;
                double v = mFloat ? m.getFloat(e * 4) : m.getDouble(e * 8);
                if (v != 0.0) {
                    continue;
                }
                if (out == null) {
                    out = labels.dup('c');
                    o = RawBuffers.buffer(out);
                    oOff = (int) out.offset();
                }
                int from = oOff + (maskCols == 1 ? r * cols : r * cols + c);
                int to = maskCols == 1 ? from + cols : from + 1;
                for (int k = from; k < to; k++) {
                    if (lFloat) {
                        o.putFloat(k * 4, 0f);
                    } else {
                        o.putDouble(k * 8, 0.0);
                    }
                }
            }
        }
        return out == null ? labels : out;
    }
}
