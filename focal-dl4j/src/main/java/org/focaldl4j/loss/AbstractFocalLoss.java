package org.focaldl4j.loss;

import java.util.Arrays;
import java.util.Objects;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.serde.jackson.shaded.NDArrayTextSerializer;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.databind.annotation.JsonSerialize;

/**
 * The DL4J side of every focal loss in this library, written once.
 *
 * <p>For a loss whose kernel yields per-element terms ℓ[i,j] (see {@link #terms}), this class
 * implements DL4J's {@link ILossFunction} contract:
 * <pre>
 *   scoreArray[i]  = s · Σ_j  w[j] · m[i,j] · ℓ[i,j]        (shape [rows, 1])
 *   score          = Σ_i scoreArray[i]   (÷ rows when average)
 *   gradient[i,j]  = s · ∂(Σ w·m·ℓ)/∂preOutput[i,j]          (summed over rows, not averaged)
 * </pre>
 * with w the optional per-column weights, m the optional mask (per example [rows,1] or per output,
 * the labels' shape, as in DL4J's {@code LossUtil}) and s the {@link Normalization} scale
 * (1, or rows / max(1, positives)).
 *
 * <p>It also owns: input validation (shapes, label range, mask and weight shapes, all as
 * {@link IllegalArgumentException}s naming the offending value), dtype handling (half-precision
 * inputs are computed in FLOAT and cast back; labels, masks and weights are cast to the compute
 * type), label smoothing and the one-pass {@link #computeGradientAndScore}. The inputs
 * {@code labels} and {@code preOutput} are never modified.
 *
 * <p>Subclasses supply the maths only:
 * <ul>
 *   <li>{@link #fromLogits}: when {@link #isLogitActivation} recognises the layer's activation
 *       (sigmoid for the binary losses, softmax for the categorical one), loss and dL/dz straight
 *       from the pre-activations z, stable for any finite z and with no clipping;</li>
 *   <li>{@link #fromProbabilities}: with any other activation, its output a is read as the
 *       probability p, checked to lie in [0, 1], clipped to [ε, 1−ε] ({@link #getClipEpsilon()}),
 *       and the per-element terms ℓ(p) and dℓ/dp are weighted, masked and backpropagated through
 *       the activation, then masked again (DL4J's layers zero masked pre-activations in their
 *       forward pass; see {@link Multipliers}). As in DL4J's LossBinaryXENT the gradient is taken
 *       at the clipped p (not zeroed where clipping is active).</li>
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class AbstractFocalLoss implements ILossFunction {

    private static final long serialVersionUID = 1L;

    /** Probability clipping for activations other than the logit shortcut (as LossBinaryXENT). */
    public static final double DEFAULT_CLIP_EPSILON = 1e-5;

    private final INDArray weights;
    private final double labelSmoothing;
    private final Normalization normalization;
    private final double clipEpsilon;

    protected AbstractFocalLoss(INDArray weights, double labelSmoothing, Normalization normalization,
                                double clipEpsilon) {
        this.weights = copyWeights(weights);
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1); got " + labelSmoothing);
        }
        if (!(clipEpsilon >= 0 && clipEpsilon < 0.5)) {
            throw new IllegalArgumentException("clipEpsilon must be in [0, 0.5); got " + clipEpsilon);
        }
        this.labelSmoothing = labelSmoothing;
        this.normalization = normalization == null ? Normalization.SUM : normalization;
        this.clipEpsilon = clipEpsilon;
    }

    // ------------------------------------------------------------------------------------------
    // What a subclass provides
    // ------------------------------------------------------------------------------------------

    /** Whether {@code activationFn} is the one {@link #fromLogits} is written for. */
    protected abstract boolean isLogitActivation(IActivation activationFn);

    /**
     * Loss (if asked) and dL/dz (if asked) from the pre-activations. {@code x} and {@code y} are
     * [rows, cols] in the compute dtype and read-only (they may be the caller's arrays). The returned
     * loss must already include {@code multipliers}, and the gradient must be that of the multiplied
     * loss. Returned arrays must be new; what was not asked for may be null.
     */
    protected abstract LossTerms fromLogits(INDArray x, INDArray y, Multipliers multipliers, boolean wantScore,
                                            boolean wantGradient);

    /**
     * Per-element loss terms ℓ(p, y) and (if asked) dℓ/dp, from probabilities p ∈ [ε, 1−ε]
     * (owned: may be overwritten) and labels y (read-only). The caller applies weights and masks.
     */
    protected abstract LossTerms fromProbabilities(INDArray p, INDArray y, boolean wantGradient);

    /** Label smoothing target count K: y ← y(1−ε) + ε/K. Binary losses use 2. */
    protected abstract int smoothingClasses(long nOut);

    /**
     * Throws if the (raw, compute-dtype) labels are not valid for this loss. Default: all in [0, 1].
     * {@code mask} is the caller's mask (compute dtype) or null.
     */
    protected void validateLabels(INDArray labels, INDArray mask) {
        requireInUnitInterval(labels, "labels");
    }

    /** Lets a loss adapt or refuse a (shape-checked, compute-dtype) mask. Default: used as given. */
    protected INDArray adaptMask(INDArray mask) {
        return mask;
    }

    // ------------------------------------------------------------------------------------------
    // ILossFunction
    // ------------------------------------------------------------------------------------------

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        Result r = evaluate(labels, preOutput, activationFn, mask, true, false);
        return average ? r.score / r.rows : r.score;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return evaluate(labels, preOutput, activationFn, mask, true, false).scoreArray;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return evaluate(labels, preOutput, activationFn, mask, false, true).gradient;
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                         IActivation activationFn, INDArray mask, boolean average) {
        Result r = evaluate(labels, preOutput, activationFn, mask, true, true);
        return new Pair<>(average ? r.score / r.rows : r.score, r.gradient);
    }

    // ------------------------------------------------------------------------------------------
    // The shared pass
    // ------------------------------------------------------------------------------------------

    private static final class Result {
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

    private Result evaluate(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                            boolean wantScore, boolean wantGradient) {
        validateShapes(labels, preOutput, mask, activationFn);
        long rows = preOutput.size(0);
        long cols = preOutput.size(1);
        DataType outType = preOutput.dataType();
        DataType calcType = computeType(outType);

        // castTo returns the same object when the type already matches: x and y are read-only below.
        INDArray x = preOutput.castTo(calcType);
        INDArray rawY = labels.castTo(calcType);
        INDArray maskC = mask == null ? null : adaptMask(mask.castTo(calcType));
        INDArray weightsC = weights == null ? null : weights.castTo(calcType);
        if (isLogitActivation(activationFn) && FusedPath.applicable(x, rawY, maskC)) {
            FusedSigmoidFocal.Output fused = fusedLogitPass(x, rawY, maskC, weightsC, wantGradient);
            if (fused != null) {
                return fusedResult(fused, rawY, outType, wantScore, wantGradient);
            }
        }
        validateLabels(rawY, maskC);
        INDArray y = rawY;
        if (labelSmoothing > 0) {
            y = rawY.mul(1.0 - labelSmoothing).addi(labelSmoothing / smoothingClasses(cols));
        }
        Multipliers multipliers = new Multipliers(weightsC, maskC);

        LossTerms t = terms(y, x, activationFn, multipliers, wantScore, wantGradient);

        double scale = 1.0;
        if (normalization == Normalization.POSITIVES) {
            scale = rows / Math.max(1.0, countPositives(rawY, maskC));
        }

        INDArray scoreArray = null;
        double score = Double.NaN;
        if (wantScore) {
            scoreArray = t.loss.sum(true, 1);
            if (scale != 1.0) {
                scoreArray.muli(scale);
            }
            score = scoreArray.sumNumber().doubleValue();
            scoreArray = scoreArray.castTo(outType);
        }
        INDArray gradient = null;
        if (wantGradient) {
            gradient = t.gradient;
            if (scale != 1.0) {
                gradient.muli(scale);
            }
            gradient = gradient.castTo(outType);
        }
        return new Result(rows, score, scoreArray, gradient);
    }

    /**
     * The fused CPU pass for this loss's logit path (see {@link FusedPath}), or null where the loss
     * has none. {@code x}, {@code rawY} and {@code mask} are contiguous, of one dtype (FLOAT or DOUBLE).
     */
    FusedSigmoidFocal.Output fusedLogitPass(INDArray x, INDArray rawY, INDArray mask, INDArray weights,
                                            boolean wantGradient) {
        return null;
    }

    private Result fusedResult(FusedSigmoidFocal.Output fused, INDArray rawY, DataType outType, boolean wantScore,
                               boolean wantGradient) {
        long rows = rawY.size(0);
        if (fused.firstBadLabel >= 0) {
            long i = fused.firstBadLabel / rawY.size(1);
            long j = fused.firstBadLabel % rawY.size(1);
            throw new IllegalArgumentException("labels must lie in [0, 1]; found " + rawY.getDouble(i, j)
                    + " at [" + i + ", " + j + "]");
        }
        double scale = normalization == Normalization.POSITIVES ? rows / Math.max(1.0, fused.positives) : 1.0;
        double score = 0;
        INDArray scoreArray = null;
        if (wantScore) {
            double[] rowLoss = fused.rowLoss;
            for (int i = 0; i < rowLoss.length; i++) {
                rowLoss[i] *= scale;
                score += rowLoss[i];
            }
            scoreArray = Nd4j.create(rowLoss, new long[] {rows, 1}, outType);
        }
        INDArray gradient = null;
        if (wantGradient) {
            gradient = (scale == 1.0 ? fused.gradient : fused.gradient.muli(scale)).castTo(outType);
        }
        return new Result(rows, score, scoreArray, gradient);
    }

    private LossTerms terms(INDArray y, INDArray x, IActivation activationFn, Multipliers multipliers,
                            boolean wantScore, boolean wantGradient) {
        if (isLogitActivation(activationFn)) {
            return fromLogits(x, y, multipliers, wantScore, wantGradient);
        }
        // Activations work in place: always hand them a copy of the caller's preOutput.
        INDArray p = activationFn.getActivation(x.dup(), true);
        requireInUnitInterval(p, "the output of activation " + activationFn + " (read as a probability)");
        if (clipEpsilon > 0) {
            Transforms.max(p, clipEpsilon, false);
            Transforms.min(p, 1.0 - clipEpsilon, false);
        }
        LossTerms t = fromProbabilities(p, y, wantGradient);
        multipliers.applyInPlace(t.loss);
        if (!wantGradient) {
            return t;
        }
        INDArray dLda = multipliers.applyInPlace(t.gradient);
        INDArray dLdz = activationFn.backprop(x.dup(), dLda).getFirst();
        return new LossTerms(t.loss, multipliers.applyMaskInPlace(dLdz));
    }

    /** Half-precision inputs are computed in FLOAT (their exp/log range is too small); others as given. */
    static DataType computeType(DataType outType) {
        if (!outType.isFPType()) {
            throw new IllegalArgumentException("preOutput must have a floating-point data type; got " + outType);
        }
        return (outType == DataType.HALF || outType == DataType.BFLOAT16) ? DataType.FLOAT : outType;
    }

    /** Number of positive label entries (raw label ≥ 0.5) that are not masked out. */
    private static double countPositives(INDArray rawY, INDArray mask) {
        return Normalization.positiveEntries(rawY, mask).sumNumber().doubleValue();
    }

    // ------------------------------------------------------------------------------------------
    // Validation
    // ------------------------------------------------------------------------------------------

    private void validateShapes(INDArray labels, INDArray preOutput, INDArray mask, IActivation activationFn) {
        InputChecks.shapes(labels, preOutput, mask, activationFn);
        if (weights != null && weights.length() != preOutput.size(1)) {
            throw new IllegalArgumentException("weights has length " + weights.length()
                    + " but the output has nOut = " + preOutput.size(1) + " columns");
        }
    }

    /** Throws an {@link IllegalArgumentException} naming the first value of {@code arr} outside [0, 1] or NaN. */
    protected static void requireInUnitInterval(INDArray arr, String what) {
        InputChecks.unitInterval(arr, what);
    }

    /** α must be in [0, 1], or −1 for "off" (torchvision's convention). */
    protected static double checkAlpha(double alpha) {
        if (!(alpha == -1.0 || (alpha >= 0.0 && alpha <= 1.0))) {
            throw new IllegalArgumentException("alpha must be in [0, 1], or -1 to disable alpha-balancing; got " + alpha);
        }
        return alpha;
    }

    /** γ must be finite and ≥ 0 (any real, including 0 &lt; γ &lt; 1). */
    protected static double checkGamma(double gamma) {
        if (!(gamma >= 0.0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("gamma must be finite and >= 0; got " + gamma);
        }
        return gamma;
    }

    /** α_t = α·y + (1−α)(1−y) = (2α−1)·y + (1−α) for binary labels y, or null when α = −1 (off). */
    protected static INDArray alphaT(INDArray y, double alpha) {
        return alpha < 0 ? null : y.mul(2 * alpha - 1).addi(1 - alpha);
    }

    private static INDArray copyWeights(INDArray w) {
        if (w == null) {
            return null;
        }
        if (!w.isVector() && !(w.isScalar() && w.length() == 1)) {
            throw new IllegalArgumentException("weights must be a vector (one value per output column); got shape "
                    + Arrays.toString(w.shape()));
        }
        INDArray copy;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            copy = w.castTo(DataType.DOUBLE).dup().reshape(1, w.length());
        }
        for (int j = 0; j < copy.length(); j++) {
            double v = copy.getDouble(j);
            if (!(v >= 0.0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("weights must be finite and >= 0; weights[" + j + "] = " + v);
            }
        }
        return copy;
    }

    // ------------------------------------------------------------------------------------------
    // Configuration accessors (serialised to JSON)
    // ------------------------------------------------------------------------------------------

    /** Per-output-column weights as a [1, nOut] DOUBLE copy, or null. */
    @JsonProperty("weights")
    @JsonSerialize(using = NDArrayTextSerializer.class)
    public INDArray getWeights() {
        return weights == null ? null : weights.dup();
    }

    @JsonProperty("labelSmoothing")
    public double getLabelSmoothing() {
        return labelSmoothing;
    }

    @JsonProperty("normalization")
    public Normalization getNormalization() {
        return normalization;
    }

    /** Probabilities are clipped to [ε, 1−ε] when the activation is not the logit shortcut. */
    @JsonProperty("clipEpsilon")
    public double getClipEpsilon() {
        return clipEpsilon;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        AbstractFocalLoss that = (AbstractFocalLoss) o;
        return Double.compare(labelSmoothing, that.labelSmoothing) == 0
                && Double.compare(clipEpsilon, that.clipEpsilon) == 0
                && normalization == that.normalization
                && weightsEqual(weights, that.weights);
    }

    private static boolean weightsEqual(INDArray a, INDArray b) {
        if (a == null || b == null) {
            return a == b;
        }
        return Arrays.equals(a.toDoubleVector(), b.toDoubleVector());
    }

    @Override
    public int hashCode() {
        return Objects.hash(labelSmoothing, clipEpsilon, normalization,
                weights == null ? 0 : Arrays.hashCode(weights.toDoubleVector()));
    }

    /** The shared part of {@link #toString()}: ", weights=…, labelSmoothing=…" etc., non-defaults only. */
    protected String commonToString() {
        StringBuilder sb = new StringBuilder();
        if (weights != null) {
            sb.append(", weights=").append(Arrays.toString(weights.toDoubleVector()));
        }
        if (labelSmoothing != 0) {
            sb.append(", labelSmoothing=").append(labelSmoothing);
        }
        if (normalization != Normalization.SUM) {
            sb.append(", normalization=").append(normalization);
        }
        if (clipEpsilon != DEFAULT_CLIP_EPSILON) {
            sb.append(", clipEpsilon=").append(clipEpsilon);
        }
        return sb.toString();
    }

    /** Copies this loss's shared settings (weights, smoothing, normalisation, clipping) into a builder. */
    protected <B extends BaseBuilder<?, B>> B withSharedSettings(B builder) {
        return builder.weights(getWeights()).labelSmoothing(labelSmoothing).normalization(normalization)
                .clipEpsilon(clipEpsilon);
    }

    /**
     * The settings every focal loss shares; each loss's builder adds its own hyper-parameters.
     *
     * @param <L> the loss built
     * @param <B> the concrete builder (for chaining)
     */
    public abstract static class BaseBuilder<L extends AbstractFocalLoss, B extends BaseBuilder<L, B>> {
        protected INDArray weights;
        protected double labelSmoothing = 0.0;
        protected Normalization normalization = Normalization.SUM;
        protected double clipEpsilon = DEFAULT_CLIP_EPSILON;

        protected abstract B self();

        /** Per-output-column weights (length nOut, each ≥ 0), or null. Copied. */
        public B weights(INDArray weights) {
            this.weights = weights;
            return self();
        }

        /** y ← y(1−ε) + ε/K (K = 2 for the binary losses, nOut for the categorical one), ε ∈ [0, 1). Default 0. */
        public B labelSmoothing(double labelSmoothing) {
            this.labelSmoothing = labelSmoothing;
            return self();
        }

        /** {@link Normalization#SUM} (default) or {@link Normalization#POSITIVES}. */
        public B normalization(Normalization normalization) {
            this.normalization = normalization;
            return self();
        }

        /** Probability clipping ε ∈ [0, 0.5) for activations other than the logit shortcut. Default 1e-5. */
        public B clipEpsilon(double clipEpsilon) {
            this.clipEpsilon = clipEpsilon;
            return self();
        }

        public abstract L build();
    }
}
