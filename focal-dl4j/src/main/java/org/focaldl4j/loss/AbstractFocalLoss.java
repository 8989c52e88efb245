package org.focaldl4j.loss;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.util.Arrays;
import java.util.Objects;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossUtil;
import org.nd4j.serde.jackson.shaded.NDArrayTextSerializer;
import org.nd4j.shade.jackson.annotation.JsonAnySetter;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.databind.annotation.JsonSerialize;

/**
 * The DL4J side of every focal loss in this library, written once: DL4J's {@link ILossFunction}
 * contract around a kernel that yields per-element terms ℓ[i,j] and dℓ/dz:
 * <pre>
 *   scoreArray[i]  = Σ_j  w[j] · m[i,j] · ℓ[i,j]             (shape [rows, 1])
 *   score          = Σ_i scoreArray[i]   (÷ rows when average)
 *   gradient[i,j]  = ∂(Σ w·m·ℓ)/∂preOutput[i,j]              (summed over rows, not averaged)
 * </pre>
 * with w the optional per-column weights and m the optional mask (per example [rows, 1] or per
 * output, the labels' shape, broadcast by DL4J's {@link LossUtil#applyMask}).
 *
 * <p>It owns everything but the maths: input validation ({@link IllegalArgumentException}s naming the
 * offending value and its position), dtypes (HALF/BFLOAT16 computed in FLOAT and cast back; labels,
 * masks and weights cast to the compute type), label smoothing, the probability path, the one-pass
 * {@link #computeGradientAndScore}. {@code labels} and {@code preOutput} are never modified.
 *
 * <p><b>Writing a variant.</b> The three losses of this library are {@code final}; a new loss extends
 * this class and supplies its {@link #variant()}, its maths from logits ({@link #fromLogits}), for the
 * softmax form optionally {@link #fromProbabilities}, its settings and {@code equals}/{@code hashCode}.
 * Every path of a variant runs its own {@link #fromLogits}: the fused CPU kernels belong to the library's
 * own final classes only.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class AbstractFocalLoss implements ILossFunction {

    private static final long serialVersionUID = 2L;

    /** Probability clipping for activations other than the logit shortcut (as LossBinaryXENT). */
    public static final double DEFAULT_CLIP_EPSILON = 1e-5;

    private final INDArray weights;
    private final double labelSmoothing;
    private final double clipEpsilon;

    /**
     * @param weights        per-output-column weights (a vector of length nOut, each finite and ≥ 0), or null; copied
     * @param labelSmoothing ε ∈ [0, 1): y ← y(1−ε) + ε/K
     * @param clipEpsilon    probability clipping ε ∈ [0, 0.5) for activations other than the logit one
     */
    protected AbstractFocalLoss(INDArray weights, double labelSmoothing, double clipEpsilon) {
        this.weights = copyWeights(weights);
        this.labelSmoothing = FocalParameters.checkLabelSmoothing(labelSmoothing);
        this.clipEpsilon = FocalParameters.checkClipEpsilon(clipEpsilon);
    }

    // ------------------------------------------------------------------------------------------
    // What a subclass provides
    // ------------------------------------------------------------------------------------------

    /**
     * Which focal loss this is; it fixes the form: element-wise over a sigmoid ({@link FocalVariant#SIGMOID},
     * {@link FocalVariant#STAR}) or row-wise over a softmax ({@link FocalVariant#CATEGORICAL}). A new loss names the
     * variant whose form it has.
     */
    protected abstract FocalVariant variant();

    /**
     * Loss terms (if asked) and dL/dz (if asked) from the pre-activations. {@code x} and {@code y} are
     * [rows, cols] in the compute dtype (FLOAT or DOUBLE), {@code y} already smoothed; both are read-only
     * (they may be the caller's arrays). {@code multiplier} is null or a read-only [rows, cols] array of
     * w·m (weights times mask); the returned loss must include it and the gradient must be that of the
     * multiplied loss. The loss is [rows, cols] (element-wise forms) or may be already row sums [rows, 1] (softmax
     * form). Returned arrays must be new; what was not asked for may be null.
     */
    protected abstract LossTerms fromLogits(INDArray x, INDArray y, INDArray multiplier, boolean wantScore,
                                            boolean wantGradient);

    /**
     * Softmax-form losses only, for activations other than softmax: per-element terms ℓ(p, y) and (if
     * asked) dℓ/dp from probabilities p ∈ [ε, 1−ε] (owned: may be overwritten) and labels y (read-only);
     * the caller applies weights and masks. With ε = 0, p may be exactly 0 or 1: a term whose label is 0 must then be
     * 0 with gradient 0 (the limit 0·log 0 = 0), not 0·∞. The default refuses.
     */
    protected LossTerms fromProbabilities(INDArray p, INDArray y, boolean wantGradient) {
        throw new IllegalArgumentException(this + " computes from logits only: use the SOFTMAX activation");
    }

    /**
     * Element-wise forms, with clipEpsilon 0 only: where an activation outputs exactly its label (p = y = 0 or 1) the loss
     * is 0, but the logit log p − log(1 − p) is ±∞ and the chain rule through it 0/0. This gives dℓ/dp there instead:
     * the limit of the slope as p approaches the label from inside (0, 1), before weights and mask; NaN (the default)
     * where the loss has no finite limit, and such an entry is then refused.
     */
    protected double slopeAtLabel(double label) {
        return Double.NaN;
    }

    /** Whether this loss can use {@code activationFn}; the default takes any. */
    protected boolean acceptsActivation(IActivation activationFn) {
        return true;
    }

    /** Softmax-form losses: per-class weights whose length must equal nOut, or null. */
    protected double[] perClassWeights() {
        return null;
    }

    /**
     * The fused CPU kernel of the library's own final classes, or null to take the op path. {@code x},
     * {@code rawY} and {@code mask} are of the compute dtype, {@code y} not yet smoothed; for the softmax
     * form a per-output mask has already been reduced to [rows, 1]. The kernel refuses labels outside
     * [0, 1]; the softmax form's row sums are checked after it.
     */
    FusedOutput fusedLogitPass(INDArray x, INDArray rawY, INDArray mask, INDArray weights,
                                            boolean wantGradient) {
        return null;
    }

    // ------------------------------------------------------------------------------------------
    // ILossFunction
    // ------------------------------------------------------------------------------------------

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        LossPass.Result r = LossPass.evaluate(this, labels, preOutput, activationFn, mask, true, false);
        return average ? r.score / r.rows : r.score;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return LossPass.evaluate(this, labels, preOutput, activationFn, mask, true, false).scoreArray;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return LossPass.evaluate(this, labels, preOutput, activationFn, mask, false, true).gradient;
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                         IActivation activationFn, INDArray mask, boolean average) {
        LossPass.Result r = LossPass.evaluate(this, labels, preOutput, activationFn, mask, true, true);
        return new Pair<>(average ? r.score / r.rows : r.score, r.gradient);
    }

    @Override
    public String name() {
        return toString();
    }

    /** Half-precision inputs are computed in FLOAT (their exp/log range is too small); others as given. */
    static DataType computeType(DataType outType) {
        if (!outType.isFPType()) {
            throw new IllegalArgumentException("preOutput must have a floating-point data type; got " + outType);
        }
        return (outType == DataType.HALF || outType == DataType.BFLOAT16) ? DataType.FLOAT : outType;
    }

    /** α_t = α·y + (1−α)(1−y) = (2α−1)·y + (1−α) for labels y, or null when α = −1 (off). */
    protected static INDArray alphaT(INDArray y, double alpha) {
        return alpha < 0 ? null : y.mul(2 * alpha - 1).addi(1 - alpha);
    }

    /** The largest finite number of {@code type} (FLOAT or DOUBLE). */
    protected static double maxValue(DataType type) {
        return type == DataType.DOUBLE ? Double.MAX_VALUE : Float.MAX_VALUE;
    }

    /** The smallest normal number of {@code type}: a floor that keeps divisions by an underflowed q finite. */
    protected static double tiny(DataType type) {
        return type == DataType.DOUBLE ? Double.MIN_NORMAL : Float.MIN_NORMAL;
    }

    private static INDArray copyWeights(INDArray w) {
        if (w == null) {
            return null;
        }
        if (!w.dataType().isFPType()) {
            throw new IllegalArgumentException("weights must have a floating-point data type; got " + w.dataType());
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
    // Deserialisation: JSON defaults, Java serialisation checks
    // ------------------------------------------------------------------------------------------

    /** A number read from JSON, or its documented default when the property is absent or null. */
    protected static double jsonOr(Double value, double fallback) {
        return value == null ? fallback : value;
    }

    /**
     * For a subclass's {@code readObject}: runs {@code check} on the fields just read and turns its
     * {@link IllegalArgumentException} into the {@link InvalidObjectException} Java deserialisation expects (a loss
     * shipped Java-serialised, as Spark does, is validated as if it had been constructed).
     */
    protected static void checkDeserialised(Runnable check) throws InvalidObjectException {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            InvalidObjectException io = new InvalidObjectException(e.getMessage());
            io.initCause(e);
            throw io;
        }
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        checkDeserialised(() -> {
            copyWeights(weights);
            if (weights != null && (weights.dataType() != DataType.DOUBLE || weights.rank() != 2 || weights.size(0) != 1)) {
                throw new IllegalArgumentException("weights of a deserialised loss must be the [1, nOut] DOUBLE array "
                        + "the constructor makes; got " + weights.dataType() + " " + Arrays.toString(weights.shape()));
            }
            FocalParameters.checkLabelSmoothing(labelSmoothing);
            FocalParameters.checkClipEpsilon(clipEpsilon);
        });
    }

    // ------------------------------------------------------------------------------------------
    // Configuration accessors (serialised to JSON)
    // ------------------------------------------------------------------------------------------

    /** The weights themselves ([1, nOut] DOUBLE, never handed out), or null: for {@link LossPass}. */
    INDArray weightsRow() {
        return weights;
    }

    /** Per-output-column weights as a [1, nOut] DOUBLE copy, or null. */
    @JsonProperty("weights")
    @JsonSerialize(using = NDArrayTextSerializer.class)
    public INDArray getWeights() {
        return weights == null ? null : weights.dup();
    }

    @JsonProperty("labelSmoothing")
    public final double getLabelSmoothing() {
        return labelSmoothing;
    }

    /** Probabilities are clipped to [ε, 1−ε] when the activation is not the logit one. */
    @JsonProperty("clipEpsilon")
    public final double getClipEpsilon() {
        return clipEpsilon;
    }

    /**
     * A JSON property this loss does not know is refused, never dropped: a configuration written by
     * another version (for example {@code "normalization": "POSITIVES"}, removed in 0.1.0 — normalisation
     * by the number of positives belongs to {@code AnchorLossLayer}) would otherwise train differently
     * without a word.
     */
    @JsonAnySetter
    void refuseUnknownProperty(String name, Object value) {
        String hint = "normalization".equals(name)
                ? " (removed: normalisation by the number of positive anchors is done by AnchorLossLayer of "
                + "focal-dl4j-detection; see docs/migration.md)" : "";
        throw new IllegalArgumentException(getClass().getSimpleName() + " has no configuration property \"" + name
                + "\" (value " + value + ")" + hint);
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
        return Objects.hash(getClass().getName(), labelSmoothing, clipEpsilon,
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
        if (clipEpsilon != DEFAULT_CLIP_EPSILON) {
            sb.append(", clipEpsilon=").append(clipEpsilon);
        }
        return sb.toString();
    }

    /** Copies this loss's shared settings (weights, smoothing, clipping) into a builder. */
    protected <B extends BaseBuilder<?, B>> B withSharedSettings(B builder) {
        return builder.weights(getWeights()).labelSmoothing(labelSmoothing).clipEpsilon(clipEpsilon);
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
        protected double clipEpsilon = DEFAULT_CLIP_EPSILON;

        protected abstract B self();

        /** Per-output-column weights (length nOut, each finite and ≥ 0), or null. Copied. */
        public B weights(INDArray weights) {
            this.weights = weights;
            return self();
        }

        /** y ← y(1−ε) + ε/K (K = 2 for the sigmoid losses, nOut for the softmax one), ε ∈ [0, 1). Default 0. */
        public B labelSmoothing(double labelSmoothing) {
            this.labelSmoothing = labelSmoothing;
            return self();
        }

        /** Probability clipping ε ∈ [0, 0.5) for activations other than the logit one. Default 1e-5. */
        public B clipEpsilon(double clipEpsilon) {
            this.clipEpsilon = clipEpsilon;
            return self();
        }

        public abstract L build();
    }
}
