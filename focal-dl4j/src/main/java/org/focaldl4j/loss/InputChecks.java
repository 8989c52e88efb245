package org.focaldl4j.loss;

import java.util.Arrays;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The input checks of {@link AbstractFocalLoss} (and so of every loss built on it, the SameDiff drop-in too):
 * each failure is an {@link IllegalArgumentException} naming the offending value or shape and what
 * was expected.
 */
final class InputChecks {

    private InputChecks() {
    }

    /**
     * labels and preOutput non-null, rank 2, of equal non-empty shape; labels floating-point;
     * activation non-null; mask absent, per example [rows, 1] or per output (the labels' shape).
     */
    static void shapes(INDArray labels, INDArray preOutput, INDArray mask, IActivation activationFn) {
        if (labels == null || preOutput == null) {
            throw new IllegalArgumentException("labels and preOutput must not be null");
        }
        if (activationFn == null) {
            throw new IllegalArgumentException("activationFn must not be null");
        }
        if (preOutput.rank() != 2) {
            throw new IllegalArgumentException("preOutput must be rank 2 [rows, nOut]; got shape "
                    + Arrays.toString(preOutput.shape()));
        }
        if (!Arrays.equals(labels.shape(), preOutput.shape())) {
            throw new IllegalArgumentException("labels and preOutput must have equal shapes: got shapes "
                    + Arrays.toString(labels.shape()) + " (labels) vs " + Arrays.toString(preOutput.shape()) + " (preOutput)");
        }
        if (preOutput.size(0) == 0 || preOutput.size(1) == 0) {
            throw new IllegalArgumentException("empty minibatch: preOutput shape " + Arrays.toString(preOutput.shape())
                    + "; a loss needs at least 1 row and 1 column");
        }
        if (!labels.dataType().isFPType()) {
            throw new IllegalArgumentException("labels must have a floating-point data type (0/1 or soft targets); got "
                    + labels.dataType() + " (cast with labels.castTo(preOutput.dataType()))");
        }
        if (mask != null && !mask.dataType().isFPType()) {
            throw new IllegalArgumentException("mask must have a floating-point data type (DL4J's convention); got "
                    + mask.dataType());
        }
        if (mask != null) {
            long rows = preOutput.size(0);
            boolean perExample = mask.rank() == 2 && mask.size(0) == rows && mask.size(1) == 1;
            boolean perOutput = Arrays.equals(mask.shape(), preOutput.shape());
            if (!perExample && !perOutput) {
                throw new IllegalArgumentException("mask shape " + Arrays.toString(mask.shape())
                        + " must be per-example [" + rows + ", 1] or per-output " + Arrays.toString(preOutput.shape()));
            }
            maskValues(mask);
        }
    }

    /**
     * Mask values must be finite and ≥ 0: 0 excludes an entry, 1 keeps it, other values weight it (as in DL4J).
     * A NaN, ±Inf or negative value is refused, naming the first one and its position.
     */
    static void maskValues(INDArray mask) {
        boolean bad = FusedEligibility.canRead(mask) ? RawBuffers.firstNegativeOrNotFinite(mask) >= 0      // CPU: one Java pass
                : BooleanIndexing.or(mask, Conditions.notFinite()) || mask.minNumber().doubleValue() < 0.0;
        if (bad) {
            long cols = mask.size(1);
            for (long i = 0; i < mask.size(0); i++) {
                for (long j = 0; j < cols; j++) {
                    double v = mask.getDouble(i, j);
                    if (!(v >= 0.0) || Double.isInfinite(v)) {
                        throw new IllegalArgumentException("mask values must be finite and >= 0 (0 excludes an entry, "
                                + "other values weight it); found " + v + " at [" + i + ", " + j + "]");
                    }
                }
            }
        }
    }

    /** Every value of the rank-2 {@code arr} in [0, 1]; else names the first offender and its position. */
    static void unitInterval(INDArray arr, String what) {
        boolean bad = BooleanIndexing.or(arr, Conditions.isNan())
                || arr.minNumber().doubleValue() < 0.0 || arr.maxNumber().doubleValue() > 1.0;
        if (bad) {
            throw new IllegalArgumentException(what + " must lie in [0, 1]; found " + firstOutsideUnitInterval(arr));
        }
    }

    /**
     * A per-output mask for a softmax loss: accepted only when constant across each row (it then is a
     * per-example mask, returned as a new [rows, 1] column), because DL4J's layers multiply the mask
     * into the logits before the softmax. Otherwise throws, naming {@code who} and the first bad row.
     */
    static INDArray rowConstantMask(INDArray mask, String who) {
        INDArray spread = mask.max(true, 1).subi(mask.min(true, 1));
        if (spread.maxNumber().doubleValue() != 0.0) {
            long row = Nd4j.argMax(spread, 0).getLong(0);
            throw new IllegalArgumentException(who + ": a per-output mask must be constant across "
                    + "each row (it then acts as a per-example mask), but row " + row + " is "
                    + Arrays.toString(mask.getRow(row).dup().toDoubleVector())
                    + "; masking single classes of a softmax is not defined: use alpha or weights instead");
        }
        return mask.getColumn(0, true).dup();
    }

    private static String firstOutsideUnitInterval(INDArray arr) {
        long cols = arr.size(1);
        for (long i = 0; i < arr.size(0); i++) {
            for (long j = 0; j < cols; j++) {
                double v = arr.getDouble(i, j);
                if (!(v >= 0.0 && v <= 1.0)) {
                    return v + " at [" + i + ", " + j + "]";
                }
            }
        }
        return "an out-of-range value";
    }

    /**
     * Labels of a softmax loss: {@code alpha} (if any) has one entry per column, and every row that its
     * mask ([rows, 1], the labels' shape, or null) does not exclude anywhere sums to 1 within {@code tolerance}.
     */
    static void categoricalLabels(INDArray labels, INDArray mask, double[] alpha, String who, double tolerance) {
        long nOut = labels.size(1);
        if (alpha != null && alpha.length != nOut) {
            throw new IllegalArgumentException(who + ": alpha has " + alpha.length + " values but the output has nOut = "
                    + nOut + " classes");
        }
        // One rule for every dtype: the sums of the labels as given, computed in DOUBLE; only rows that no mask
        // entry excludes (a per-output mask, possible with activations other than softmax, exempts a row with any 0).
        INDArray deviation = Transforms.abs(labels.castTo(DataType.DOUBLE).sum(true, 1).subi(1.0), false);
        if (mask != null) {
            deviation.muli(mask.neq(0.0).castTo(DataType.DOUBLE).min(true, 1));
        }
        if (deviation.maxNumber().doubleValue() > tolerance) {
            long row = Nd4j.argMax(deviation, 0).getLong(0);
            throw new IllegalArgumentException("labels of " + who + " must sum to 1 in every unmasked row (±" + tolerance
                    + "); row " + row + " sums to " + labels.getRow(row).castTo(DataType.DOUBLE).sumNumber().doubleValue());
        }
    }
}
