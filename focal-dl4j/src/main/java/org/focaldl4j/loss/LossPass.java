package org.focaldl4j.loss;

import java.util.Arrays;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossUtil;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The one pass behind every {@link AbstractFocalLoss} method of DL4J's contract: validation, dtypes, masked labels,
 * label smoothing, then the fused kernel ({@link FusedFocalLoss}) or the loss's own maths from logits, or the
 * probability path for other activations; score, score array and gradient from that one pass.
 */
final class LossPass {

    private LossPass() {
    }

    static final class Result {
        final long rows;
        final double score;
        final INDArray scoreArray;
        final INDArray gradient;

        Result(long rows, double score, INDArray scoreArray, INDArray gradient) {
            this.rows = rows;
            this.score = score;
            this.scoreArray = scoreArray;
            this.gradient = gradient;
        }
    }

    static Result evaluate(AbstractFocalLoss focal, INDArray labels, INDArray preOutput, IActivation activationFn,
                           INDArray mask, boolean wantScore, boolean wantGradient) {
        INDArray weights = focal.weightsRow();
        double labelSmoothing = focal.getLabelSmoothing();
        InputChecks.shapes(labels, preOutput, mask, activationFn);
        if (weights != null && weights.length() != preOutput.size(1)) {
            throw new IllegalArgumentException("weights has length " + weights.length()
                    + " but the output has nOut = " + preOutput.size(1) + " columns");
        }
        if (!focal.acceptsActivation(activationFn)) {
            throw new IllegalArgumentException(focal + " cannot use the activation " + activationFn + "; it computes "
                    + "from logits with the " + (focal.variant().rowWise() ? "SOFTMAX" : "SIGMOID") + " activation");
        }
        long rows = preOutput.size(0);
        long cols = preOutput.size(1);
        DataType outType = preOutput.dataType();
        DataType calcType = AbstractFocalLoss.computeType(outType);

        boolean logits = isLogitActivation(focal, activationFn);
        INDArray maskC = mask == null ? null : mask.castTo(calcType);
        if (maskC != null && mask.dataType().width() > calcType.width()) {
            InputChecks.maskValues(maskC);               // finite as given, but not in the compute type (1e39 in FLOAT)
        }
        INDArray given = MaskedLabels.zeroed(labels, maskC);
        if (given.dataType().width() > calcType.width()) {
            // One rule for every dtype: labels are checked as given, before a narrowing cast could round them
            // into [0, 1] (1 + 1e-9 in DOUBLE labels with FLOAT logits).
            InputChecks.unitInterval(given, "labels");
        }
        // castTo returns the same object when the type already matches: x and rawY are read-only below.
        INDArray x = preOutput.castTo(calcType);
        INDArray rawY = given.castTo(calcType);
        if (maskC != null && focal.variant().rowWise() && logits && maskC.size(1) != 1) {
            maskC = InputChecks.rowConstantMask(maskC, focal.getClass().getSimpleName());
        }
        INDArray weightsC = weights == null ? null : weights.castTo(calcType);
        if (weightsC != null && calcType != DataType.DOUBLE && weights.maxNumber().doubleValue() > Float.MAX_VALUE) {
            long j = weights.argMax(1).getLong(0);
            throw new IllegalArgumentException("weights must fit the compute type " + calcType + " (at most "
                    + Float.MAX_VALUE + "); weights[" + j + "] = " + weights.getDouble(j));
        }
        double[] classAlpha = focal.perClassWeights();
        if (classAlpha != null && calcType != DataType.DOUBLE) {
            for (int c = 0; c < classAlpha.length; c++) {
                if (classAlpha[c] > Float.MAX_VALUE) {
                    throw new IllegalArgumentException("alpha must fit the compute type " + calcType + " (at most "
                            + Float.MAX_VALUE + "); alpha[" + c + "] = " + classAlpha[c]);
                }
            }
        }
        if (logits) {
            FusedOutput fused = focal.fusedLogitPass(x, rawY, maskC, weightsC, wantGradient);
            if (fused != null) {
                return fusedResult(focal, fused, rawY, given, maskC, outType, wantScore, wantGradient);
            }
        }
        validateLabels(focal, rawY, given, maskC);
        INDArray y = rawY;
        if (labelSmoothing > 0) {
            int k = focal.variant().rowWise() ? (int) cols : 2;
            y = rawY.mul(1.0 - labelSmoothing).addi(labelSmoothing / k);
        }
        INDArray multiplier = multiplier(weightsC, maskC, x);
        LossTerms t = logits ? focal.fromLogits(x, y, multiplier, wantScore, wantGradient)
                : probabilityPath(focal, x, y, activationFn, maskC, multiplier, wantScore, wantGradient);

        INDArray scoreArray = null;
        double score = Double.NaN;
        if (wantScore) {
            scoreArray = t.loss.size(1) == 1 ? t.loss : t.loss.sum(true, 1);
            score = scoreArray.sumNumber().doubleValue();
            scoreArray = scoreArray.castTo(outType);
        }
        INDArray gradient = wantGradient ? t.gradient.castTo(outType) : null;
        return new Result(rows, score, scoreArray, gradient);
    }

    private static boolean isLogitActivation(AbstractFocalLoss focal, IActivation activationFn) {
        return focal.variant().rowWise() ? activationFn instanceof ActivationSoftmax
                : activationFn instanceof ActivationSigmoid;
    }

    /** {@code labels} in the compute type, {@code given} as the caller passed them (for the row sums). */
    private static void validateLabels(AbstractFocalLoss focal, INDArray labels, INDArray given, INDArray mask) {
        InputChecks.unitInterval(labels, "labels");
        if (focal.variant().rowWise()) {
            InputChecks.categoricalLabels(given, mask, focal.perClassWeights(), focal.getClass().getSimpleName(),
                    FocalParameters.LABEL_SUM_TOLERANCE);
        }
    }

    /** w·m as a [rows, cols] array (the mask itself when there are no weights and it is per output), or null. */
    private static INDArray multiplier(INDArray weights, INDArray mask, INDArray like) {
        if (weights == null && mask == null) {
            return null;
        }
        if (weights == null && Arrays.equals(mask.shape(), like.shape())) {
            return mask;
        }
        INDArray m = Nd4j.ones(like.dataType(), like.shape());
        if (weights != null) {
            m.muliRowVector(weights);
        }
        if (mask != null) {
            LossUtil.applyMask(m, mask);
        }
        return m;
    }

    /** The fused pass's result; labels it found outside [0, 1] are refused first, then (softmax form) the row sums. */
    private static Result fusedResult(AbstractFocalLoss focal, FusedOutput fused, INDArray rawY, INDArray given, INDArray mask, DataType outType,
                               boolean wantScore, boolean wantGradient) {
        long rows = rawY.size(0);
        if (fused.firstBadLabel >= 0) {
            long i = fused.firstBadLabel / rawY.size(1);
            long j = fused.firstBadLabel % rawY.size(1);
            throw new IllegalArgumentException("labels must lie in [0, 1]; found " + rawY.getDouble(i, j)
                    + " at [" + i + ", " + j + "]");
        }
        // The pass summed the labels in the compute type; the rule is on the labels as given: the usual check names
        // the row, and decides where a narrowing cast could have moved a sum across the tolerance.
        if (focal.variant().rowWise() && (fused.rowSumOff || given.dataType() != rawY.dataType())) {
            InputChecks.categoricalLabels(given, mask, focal.perClassWeights(), focal.getClass().getSimpleName(), FocalParameters.LABEL_SUM_TOLERANCE);
        }
        double score = 0;
        INDArray scoreArray = null;
        if (wantScore) {
            for (double rowLoss : fused.rowLoss) {
                score += rowLoss;
            }
            scoreArray = Nd4j.create(fused.rowLoss, new long[] {rows, 1}, outType);
        }
        INDArray gradient = wantGradient ? fused.gradient.castTo(outType) : null;
        return new Result(rows, score, scoreArray, gradient);
    }

    /**
     * Element-wise form, entries where p is exactly 0 or 1 (clipEpsilon 0, or one that rounds away in the compute type),
     * where the logit path gives 0·∞ and 0/0: where p equals its label the loss is 0 and dℓ/dp the loss's
     * {@link AbstractFocalLoss#slopeAtLabel} times w·m; where w·m is 0 both are 0. Elsewhere (p = 0 against a label
     * above 0, p = 1 against one below 1) the loss's limit depends on the variant (∞ for the focal loss, for FL* with
     * soft labels possibly 0): those entries keep what the formulas gave, non-finite as a rule. One bulk copy of each
     * array, not a read per element.
     */
    private static void atExactLabels(AbstractFocalLoss focal, INDArray p, INDArray y, INDArray multiplier, INDArray loss,
                                      INDArray dLda) {
        long cols = p.size(1);
        if (loss != null && loss.size(1) != cols) {
            throw new IllegalStateException(focal.getClass().getName() + ".fromLogits returned losses of shape "
                    + Arrays.toString(loss.shape()) + "; an element-wise form must return one per element, "
                    + Arrays.toString(p.shape()));
        }
        double[] pv = flat(p);
        double[] yv = flat(y);
        double[] mv = multiplier == null ? null : flat(multiplier);
        double[] lv = loss == null ? null : flat(loss);
        double[] gv = dLda == null ? null : flat(dLda);
        for (int k = 0; k < pv.length; k++) {
            double pk = pv[k];
            if (pk != 0 && pk != 1) {
                continue;
            }
            double m = mv == null ? 1.0 : mv[k];
            if (m != 0 && pk != yv[k]) {
                continue;
            }
            double slope;
            if (m == 0) {
                slope = 0;
            } else {
                slope = gv == null ? 0 : focal.slopeAtLabel(yv[k]);
                if (Double.isNaN(slope)) {
                    throw new IllegalArgumentException(focal + " has no finite gradient where the activation's output equals "
                            + "its label exactly (p = y = " + yv[k] + " at [" + k / cols + ", " + k % cols + "]); use a "
                            + "clipEpsilon > 0 that the compute type " + p.dataType() + " can hold");
                }
            }
            if (lv != null) {
                lv[k] = 0.0;
            }
            if (gv != null) {
                gv[k] = m * slope;
            }
        }
        if (lv != null) {
            loss.assign(Nd4j.create(lv, loss.shape(), 'c').castTo(loss.dataType()));
        }
        if (gv != null) {
            dLda.assign(Nd4j.create(gv, dLda.shape(), 'c').castTo(dLda.dataType()));
        }
    }

    /** The values of a [rows, cols] array in row-major order, as double. */
    private static double[] flat(INDArray a) {
        return Nd4j.toFlattened('c', a).castTo(DataType.DOUBLE).toDoubleVector();
    }

    /**
     * Any activation other than the logit one: its output a is read as the probability p, checked to
     * lie in [0, 1] and clipped to [ε, 1−ε]. The sigmoid form computes the logit path at
     * x' = log p − log(1 − p) (so ℓ(p) is the same maths as from logits) and chains dℓ/dp = dℓ/dx' / (p(1−p));
     * the softmax form asks {@link AbstractFocalLoss#fromProbabilities}. The gradient is taken at the clipped p (as DL4J's
     * LossBinaryXENT), backpropagated through the activation, then masked again: DL4J's layers multiply a
     * per-output mask into z in their forward pass but do not backprop through that product.
     */
    private static LossTerms probabilityPath(AbstractFocalLoss focal, INDArray x, INDArray y, IActivation activationFn, INDArray mask,
                                      INDArray multiplier, boolean wantScore, boolean wantGradient) {
        double clipEpsilon = focal.getClipEpsilon();
        // Activations work in place: always hand them a copy of the caller's preOutput.
        INDArray p = activationFn.getActivation(x.dup(), true);
        InputChecks.unitInterval(p, "the output of activation " + activationFn + " (read as a probability)");
        if (clipEpsilon > 0) {
            Transforms.max(p, clipEpsilon, false);
            Transforms.min(p, 1.0 - clipEpsilon, false);
        }
        INDArray dLda;
        INDArray loss;
        if (!focal.variant().rowWise()) {
            INDArray pm = p.rsub(1.0);
            INDArray logit = Transforms.log(p, true).subi(Transforms.log(pm, true));
            LossTerms t = focal.fromLogits(logit, y, multiplier, wantScore, wantGradient);
            loss = t.loss;
            INDArray dpdx = pm.muli(p);                                     // p(1 − p), 0 only where p is 0 or 1
            dLda = wantGradient ? t.gradient.divi(dpdx) : null;
            if (dpdx.minNumber().doubleValue() == 0) {
                atExactLabels(focal, p, y, multiplier, loss, dLda);
            }
        } else {
            // An entry that w·m excludes is absent from the softmax form's terms: its label is taken as 0 there, so that a
            // p of 0 (clipEpsilon 0) gives 0, not ∞·0, even where label smoothing made the label positive.
            INDArray present = multiplier == null ? y : y.mul(multiplier.neq(0.0).castTo(y.dataType()));
            LossTerms t = focal.fromProbabilities(p, present, wantGradient);
            loss = multiplier == null || t.loss == null ? t.loss : t.loss.muli(multiplier);
            dLda = !wantGradient || multiplier == null ? t.gradient : t.gradient.muli(multiplier);
        }
        if (!wantGradient) {
            return new LossTerms(loss, null);
        }
        INDArray dLdz = activationFn.backprop(x.dup(), dLda).getFirst();
        if (mask != null) {
            LossUtil.applyMask(dLdz, mask);
        }
        return new LossTerms(loss, dLdz);
    }
}
