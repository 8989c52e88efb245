package org.focaldl4j.loss;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.util.Arrays;
import java.util.Objects;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossUtil;
import org.nd4j.linalg.ops.transforms.Transforms;
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
 * this class and supplies its {@link #form()}, its maths from logits ({@link #fromLogits}), for the
 * softmax form optionally {@link #fromProbabilities}, its settings and {@code equals}/{@code hashCode}.
 * Every path of a variant runs its own {@link #fromLogits}: the fused CPU kernels belong to the library's
 * own final classes only.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class AbstractFocalLoss implements ILossFunction {

    private static final long serialVersionUID = 2L;

    /** Probability clipping for activations other than the logit shortcut (as LossBinaryXENT). */
    public static final double DEFAULT_CLIP_EPSILON = 1e-5;

    /** Tolerance on |Σ_c y_c − 1| for unmasked label rows of a softmax-form loss. */
    public static final double LABEL_SUM_TOLERANCE = 1e-3;

    /** The two shapes of a focal loss; decides the logit activation, labels, masks and smoothing. */
    protected enum Form {
        /**
         * Element-wise over a sigmoid: the logit activation is sigmoid, labels lie in [0, 1], masks are
         * per example or per output, smoothing targets 2 classes. Other activations are read as
         * probabilities p and computed as the logit path at x = log p − log(1 − p).
         */
        SIGMOID,
        /**
         * Row-wise over a softmax: the logit activation is softmax, label rows sum to 1, a per-output
         * mask must be constant across each row, smoothing targets nOut classes. Other activations go to
         * {@link #fromProbabilities}.
         */
        SOFTMAX
    }

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

    /** Sigmoid (element-wise) or softmax (row-wise). */
    protected abstract Form form();

    /**
     * Loss terms (if asked) and dL/dz (if asked) from the pre-activations. {@code x} and {@code y} are
     * [rows, cols] in the compute dtype (FLOAT or DOUBLE), {@code y} already smoothed; both are read-only
     * (they may be the caller's arrays). {@code multiplier} is null or a read-only [rows, cols] array of
     * w·m (weights times mask); the returned loss must include it and the gradient must be that of the
     * multiplied loss. The loss may be [rows, cols] or already row sums [rows, 1]. Returned arrays must be
     * new; what was not asked for may be null.
     */
    protected abstract LossTerms fromLogits(INDArray x, INDArray y, INDArray multiplier, boolean wantScore,
                                            boolean wantGradient);

    /**
     * Softmax-form losses only, for activations other than softmax: per-element terms ℓ(p, y) and (if
     * asked) dℓ/dp from probabilities p ∈ [ε, 1−ε] (owned: may be overwritten) and labels y (read-only);
     * the caller applies weights and masks. The default refuses.
     */
    protected LossTerms fromProbabilities(INDArray p, INDArray y, boolean wantGradient) {
        throw new IllegalArgumentException(this + " computes from logits only: use the SOFTMAX activation");
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
    FusedPath.Output fusedLogitPass(INDArray x, INDArray rawY, INDArray mask, INDArray weights,
                                            boolean wantGradient) {
        return null;
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

    @Override
    public String name() {
        return toString();
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
        InputChecks.shapes(labels, preOutput, mask, activationFn);
        if (weights != null && weights.length() != preOutput.size(1)) {
            throw new IllegalArgumentException("weights has length " + weights.length()
                    + " but the output has nOut = " + preOutput.size(1) + " columns");
        }
        if (!acceptsActivation(activationFn)) {
            throw new IllegalArgumentException(this + " cannot use the activation " + activationFn + "; it computes "
                    + "from logits with the " + (form() == Form.SIGMOID ? "SIGMOID" : "SOFTMAX") + " activation");
        }
        long rows = preOutput.size(0);
        long cols = preOutput.size(1);
        DataType outType = preOutput.dataType();
        DataType calcType = computeType(outType);

        boolean logits = isLogitActivation(activationFn);
        INDArray maskC = mask == null ? null : mask.castTo(calcType);
        if (maskC != null && mask.dataType().width() > calcType.width()) {
            InputChecks.maskValues(maskC);               // finite as given, but not in the compute type (1e39 in FLOAT)
        }
        INDArray given = withoutMaskedLabels(labels, maskC);
        if (given.dataType().width() > calcType.width()) {
            // One rule for every dtype: labels are checked as given, before a narrowing cast could round them
            // into [0, 1] (1 + 1e-9 in DOUBLE labels with FLOAT logits).
            InputChecks.unitInterval(given, "labels");
        }
        // castTo returns the same object when the type already matches: x and rawY are read-only below.
        INDArray x = preOutput.castTo(calcType);
        INDArray rawY = given.castTo(calcType);
        if (maskC != null && form() == Form.SOFTMAX && logits && maskC.size(1) != 1) {
            maskC = InputChecks.rowConstantMask(maskC, getClass().getSimpleName());
        }
        INDArray weightsC = weights == null ? null : weights.castTo(calcType);
        if (weightsC != null && calcType != DataType.DOUBLE && weights.maxNumber().doubleValue() > Float.MAX_VALUE) {
            long j = weights.argMax(1).getLong(0);
            throw new IllegalArgumentException("weights must fit the compute type " + calcType + " (at most "
                    + Float.MAX_VALUE + "); weights[" + j + "] = " + weights.getDouble(j));
        }
        double[] classAlpha = perClassWeights();
        if (classAlpha != null && calcType != DataType.DOUBLE) {
            for (int c = 0; c < classAlpha.length; c++) {
                if (classAlpha[c] > Float.MAX_VALUE) {
                    throw new IllegalArgumentException("alpha must fit the compute type " + calcType + " (at most "
                            + Float.MAX_VALUE + "); alpha[" + c + "] = " + classAlpha[c]);
                }
            }
        }
        if (logits) {
            FusedPath.Output fused = fusedLogitPass(x, rawY, maskC, weightsC, wantGradient);
            if (fused != null) {
                return fusedResult(fused, rawY, given, maskC, outType, wantScore, wantGradient);
            }
        }
        validateLabels(rawY, given, maskC);
        INDArray y = rawY;
        if (labelSmoothing > 0) {
            int k = form() == Form.SIGMOID ? 2 : (int) cols;
            y = rawY.mul(1.0 - labelSmoothing).addi(labelSmoothing / k);
        }
        INDArray multiplier = multiplier(weightsC, maskC, x);
        LossTerms t = logits ? fromLogits(x, y, multiplier, wantScore, wantGradient)
                : probabilityPath(x, y, activationFn, maskC, multiplier, wantScore, wantGradient);

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

    /**
     * {@code labels} with 0 wherever {@code mask} is 0 (the caller's arrays are not touched): a masked entry affects
     * nothing — DL4J's contract — so what it holds there (an "ignore" marker such as −1, or NaN) is neither validated
     * nor computed with. The labels themselves when no mask value is 0.
     */
    private static INDArray withoutMaskedLabels(INDArray labels, INDArray mask) {
        if (mask == null) {
            return labels;
        }
        if (FusedPath.canZeroMasked(labels, mask)) {                 // CPU: one Java pass (the op below takes ~100 ns per entry)
            return FusedPath.zeroMasked(labels, mask);
        }
        if (mask.minNumber().doubleValue() != 0.0) {
            return labels;
        }
        INDArray excluded = mask.size(1) == labels.size(1) ? mask.eq(0.0)
                : Nd4j.ones(DataType.DOUBLE, labels.shape()).muliColumnVector(mask.castTo(DataType.DOUBLE)).eq(0.0);
        return labels.putWhereWithMask(excluded, Nd4j.scalar(labels.dataType(), 0.0));   // a copy: 0 where excluded
    }

    private boolean isLogitActivation(IActivation activationFn) {
        return form() == Form.SIGMOID ? activationFn instanceof ActivationSigmoid
                : activationFn instanceof ActivationSoftmax;
    }

    /** {@code labels} in the compute type, {@code given} as the caller passed them (for the row sums). */
    private void validateLabels(INDArray labels, INDArray given, INDArray mask) {
        InputChecks.unitInterval(labels, "labels");
        if (form() == Form.SOFTMAX) {
            InputChecks.categoricalLabels(given, mask, perClassWeights(), getClass().getSimpleName(),
                    LABEL_SUM_TOLERANCE);
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
    private Result fusedResult(FusedPath.Output fused, INDArray rawY, INDArray given, INDArray mask, DataType outType,
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
        if (form() == Form.SOFTMAX && (fused.rowSumOff || given.dataType() != rawY.dataType())) {
            InputChecks.categoricalLabels(given, mask, perClassWeights(), getClass().getSimpleName(), LABEL_SUM_TOLERANCE);
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
     * Any activation other than the logit one: its output a is read as the probability p, checked to
     * lie in [0, 1] and clipped to [ε, 1−ε]. The sigmoid form computes the logit path at
     * x' = log p − log(1 − p) (so ℓ(p) is the same maths as from logits) and chains dℓ/dp = dℓ/dx' / (p(1−p));
     * the softmax form asks {@link #fromProbabilities}. The gradient is taken at the clipped p (as DL4J's
     * LossBinaryXENT), backpropagated through the activation, then masked again: DL4J's layers multiply a
     * per-output mask into z in their forward pass but do not backprop through that product.
     */
    private LossTerms probabilityPath(INDArray x, INDArray y, IActivation activationFn, INDArray mask,
                                      INDArray multiplier, boolean wantScore, boolean wantGradient) {
        // Activations work in place: always hand them a copy of the caller's preOutput.
        INDArray p = activationFn.getActivation(x.dup(), true);
        InputChecks.unitInterval(p, "the output of activation " + activationFn + " (read as a probability)");
        if (clipEpsilon > 0) {
            Transforms.max(p, clipEpsilon, false);
            Transforms.min(p, 1.0 - clipEpsilon, false);
        }
        INDArray dLda;
        INDArray loss;
        if (form() == Form.SIGMOID) {
            INDArray pm = p.rsub(1.0);
            INDArray logit = Transforms.log(p, true).subi(Transforms.log(pm, true));
            LossTerms t = fromLogits(logit, y, multiplier, wantScore, wantGradient);
            loss = t.loss;
            dLda = wantGradient ? t.gradient.divi(p.muli(pm)) : null;
        } else {
            LossTerms t = fromProbabilities(p, y, wantGradient);
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

    /** Probabilities are clipped to [ε, 1−ε] when the activation is not the logit one. */
    @JsonProperty("clipEpsilon")
    public double getClipEpsilon() {
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
