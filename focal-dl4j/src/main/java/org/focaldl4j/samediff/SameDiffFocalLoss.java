package org.focaldl4j.samediff;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.focaldl4j.loss.InputChecks;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A drop-in {@link ILossFunction} whose maths is a SameDiff graph built by {@link FocalLossOps}:
 * the sigmoid focal loss (default), the categorical focal loss or FL*, computed from the logits
 * (the layer activation must be SIGMOID, or SOFTMAX for the categorical form):
 * <pre>
 *   scoreArray[i] = Σ_j m[i,j] · ℓ[i,j]   ([rows, 1]),   gradient = ∂(Σ_i scoreArray[i]) / ∂preOutput
 * </pre>
 * It avoids DL4J's {@code SameDiffLoss} defects: the score array is [rows, 1] (so it works in
 * {@code CnnLossLayer}); per-output masks work (for the categorical form only when constant across a
 * row, as in {@code LossCategoricalFocal}); a graph is built per thread and per dtype (FLOAT, DOUBLE;
 * HALF/BFLOAT16 computed in FLOAT), so calls with other dtypes and concurrent calls are safe; nothing is
 * printed. Score and gradient come from one graph execution. Inputs are never modified.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SameDiffFocalLoss implements ILossFunction {

    private static final long serialVersionUID = 1L;

    /** Which focal loss the graph computes. */
    public enum Kind { SIGMOID, CATEGORICAL, STAR }

    private static final String LABELS = "labels";
    private static final String LOGITS = "logits";
    private static final String MASK = "mask";
    private static final String ELEMENTS = "elements";
    private static final String TOTAL = "total";

    private final Kind kind;
    private final double alpha;
    private final double[] classAlpha;
    private final double gamma;
    private final double beta;

    /** Graphs are per thread and per compute dtype; rebuilt lazily (e.g. after deserialisation). */
    private transient volatile ThreadLocal<Map<DataType, SameDiff>> graphs;

    /** Sigmoid focal loss, α = 0.25, γ = 2. */
    public SameDiffFocalLoss() {
        this(0.25, 2.0);
    }

    /** Sigmoid focal loss with α ∈ [0, 1] or −1 (off) and γ ≥ 0. */
    public SameDiffFocalLoss(double alpha, double gamma) {
        this(Kind.SIGMOID, alpha, null, gamma, 0.0);
    }

    /** Categorical (softmax) focal loss: per-class α (null = all ones), γ ≥ 0. */
    public static SameDiffFocalLoss categorical(double[] alpha, double gamma) {
        return new SameDiffFocalLoss(Kind.CATEGORICAL, -1, alpha, gamma, 0.0);
    }

    /** FL*: α ∈ [0, 1] or −1, γ &gt; 0, β finite. */
    public static SameDiffFocalLoss star(double alpha, double gamma, double beta) {
        return new SameDiffFocalLoss(Kind.STAR, alpha, null, gamma, beta);
    }

    @JsonCreator
    public SameDiffFocalLoss(@JsonProperty("kind") Kind kind, @JsonProperty("alpha") double alpha,
                             @JsonProperty("classAlpha") double[] classAlpha, @JsonProperty("gamma") double gamma,
                             @JsonProperty("beta") double beta) {
        this.kind = kind == null ? Kind.SIGMOID : kind;
        this.alpha = alpha;
        this.classAlpha = classAlpha == null ? null : classAlpha.clone();
        this.gamma = gamma;
        this.beta = beta;
        // Validate eagerly with a throw-away graph: the same checks FocalLossOps makes on every build.
        SameDiff probe = SameDiff.create();
        define(probe, probe.placeHolder(LABELS, DataType.FLOAT, -1, -1), probe.placeHolder(LOGITS, DataType.FLOAT, -1, -1),
                probe.placeHolder(MASK, DataType.FLOAT, -1, -1));
    }

    private SDVariable define(SameDiff sd, SDVariable labels, SDVariable logits, SDVariable mask) {
        switch (kind) {
            case CATEGORICAL:
                return FocalLossOps.categoricalFocal(sd, ELEMENTS, labels, logits, mask, classAlpha, gamma, LossReduce.NONE);
            case STAR:
                return FocalLossOps.focalStar(sd, ELEMENTS, labels, logits, mask, alpha, gamma, beta, LossReduce.NONE);
            default:
                return FocalLossOps.sigmoidFocal(sd, ELEMENTS, labels, logits, mask, alpha, gamma, LossReduce.NONE);
        }
    }

    private SameDiff graph(DataType type) {
        ThreadLocal<Map<DataType, SameDiff>> local = graphs;
        if (local == null) {
            synchronized (this) {
                if (graphs == null) {
                    graphs = ThreadLocal.withInitial(() -> new EnumMap<>(DataType.class));
                }
                local = graphs;
            }
        }
        return local.get().computeIfAbsent(type, this::build);
    }

    /** Builds the graph outside any workspace (its constants must outlive the caller's workspace). */
    private SameDiff build(DataType type) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            SameDiff sd = SameDiff.create();
            SDVariable labels = sd.placeHolder(LABELS, type, -1, -1);
            SDVariable logits = sd.placeHolder(LOGITS, type, -1, -1);
            SDVariable mask = sd.placeHolder(MASK, type, -1, -1);
            SDVariable elements = define(sd, labels, logits, mask);
            sd.setLossVariables(elements.sum(TOTAL));
            QuietSameDiff.createGradFunction(sd, LOGITS);     // gradients with respect to a placeholder must be requested
            return sd;
        }
    }

    // ------------------------------------------------------------------------------------------
    // ILossFunction
    // ------------------------------------------------------------------------------------------

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        double score = evaluate(labels, preOutput, activationFn, mask, false).getFirst().sumNumber().doubleValue();
        return average ? score / preOutput.size(0) : score;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return evaluate(labels, preOutput, activationFn, mask, false).getFirst();
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return evaluate(labels, preOutput, activationFn, mask, true).getSecond();
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                         INDArray mask, boolean average) {
        Pair<INDArray, INDArray> r = evaluate(labels, preOutput, activationFn, mask, true);
        double score = r.getFirst().sumNumber().doubleValue();
        return new Pair<>(average ? score / preOutput.size(0) : score, r.getSecond());
    }

    /** (score array [rows, 1], gradient or null), in preOutput's dtype. */
    private Pair<INDArray, INDArray> evaluate(INDArray labels, INDArray preOutput, IActivation activationFn,
                                              INDArray mask, boolean wantGradient) {
        validate(labels, preOutput, activationFn, mask);
        DataType outType = preOutput.dataType();
        DataType type = (outType == DataType.HALF || outType == DataType.BFLOAT16) ? DataType.FLOAT : outType;
        INDArray x = preOutput.castTo(type);
        INDArray y = labels.castTo(type);
        INDArray fullMask = fullMask(mask, preOutput, type);

        SameDiff sd = graph(type);
        Map<String, INDArray> placeholders = Map.of(LABELS, y, LOGITS, x, MASK, fullMask);
        INDArray elements;
        INDArray gradient = null;
        if (wantGradient) {
            OutAndGrad r = sd.calculateGradientsAndOutputs(placeholders, List.of(ELEMENTS), List.of(LOGITS));
            elements = r.getOutputs().get(ELEMENTS);
            gradient = r.getGradients().get(LOGITS).castTo(outType).dup();   // SameDiff may reuse its arrays
        } else {
            elements = sd.output(placeholders, ELEMENTS).get(ELEMENTS);
        }
        INDArray scores = kind == Kind.CATEGORICAL ? elements.dup() : elements.sum(true, 1);
        return new Pair<>(scores.castTo(outType), gradient);
    }

    /** The mask as a [rows, cols] array of the compute dtype (ones when absent). */
    private INDArray fullMask(INDArray mask, INDArray preOutput, DataType type) {
        INDArray full = Nd4j.ones(type, preOutput.shape());
        if (mask == null) {
            return full;
        }
        INDArray m = mask.castTo(type);
        if (m.size(1) == 1 && preOutput.size(1) != 1) {
            return full.muliColumnVector(m);
        }
        if (kind == Kind.CATEGORICAL) {
            return full.muliColumnVector(InputChecks.rowConstantMask(m, "SameDiffFocalLoss (categorical)"));
        }
        return full.muli(m);
    }

    private void validate(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        InputChecks.shapes(labels, preOutput, mask, activationFn);
        if (!preOutput.dataType().isFPType()) {
            throw new IllegalArgumentException("preOutput must have a floating-point data type; got " + preOutput.dataType());
        }
        boolean sigmoid = activationFn instanceof ActivationSigmoid;
        boolean softmax = activationFn instanceof ActivationSoftmax;
        if (kind == Kind.CATEGORICAL ? !softmax : !sigmoid) {
            throw new IllegalArgumentException("SameDiffFocalLoss (" + kind + ") computes from logits and needs the layer "
                    + "activation " + (kind == Kind.CATEGORICAL ? "SOFTMAX" : "SIGMOID") + "; got " + activationFn
                    + " (use LossFocal, LossCategoricalFocal or LossFocalStar for other activations)");
        }
        InputChecks.unitInterval(labels, "labels");
        if (kind == Kind.CATEGORICAL) {
            INDArray rowMask = mask == null ? null
                    : mask.size(1) == 1 ? mask : InputChecks.rowConstantMask(mask, "SameDiffFocalLoss (categorical)");
            InputChecks.categoricalLabels(labels, rowMask, classAlpha, "SameDiffFocalLoss (categorical)",
                    LossCategoricalFocal.LABEL_SUM_TOLERANCE);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Configuration
    // ------------------------------------------------------------------------------------------

    @JsonProperty("kind")
    public Kind getKind() {
        return kind;
    }

    @JsonProperty("alpha")
    public double getAlpha() {
        return alpha;
    }

    @JsonProperty("classAlpha")
    public double[] getClassAlpha() {
        return classAlpha == null ? null : classAlpha.clone();
    }

    @JsonProperty("gamma")
    public double getGamma() {
        return gamma;
    }

    @JsonProperty("beta")
    public double getBeta() {
        return beta;
    }

    @JsonIgnore
    @Override
    public String name() {
        return toString();
    }

    @Override
    public String toString() {
        switch (kind) {
            case CATEGORICAL:
                return "SameDiffFocalLoss(categorical, " + (classAlpha == null ? "" : "alpha=" + Arrays.toString(classAlpha)
                        + ", ") + "gamma=" + gamma + ")";
            case STAR:
                return "SameDiffFocalLoss(star, alpha=" + alpha + ", gamma=" + gamma + ", beta=" + beta + ")";
            default:
                return "SameDiffFocalLoss(alpha=" + alpha + ", gamma=" + gamma + ")";
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        SameDiffFocalLoss that = (SameDiffFocalLoss) o;
        return kind == that.kind && Double.compare(alpha, that.alpha) == 0 && Arrays.equals(classAlpha, that.classAlpha)
                && Double.compare(gamma, that.gamma) == 0 && Double.compare(beta, that.beta) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, alpha, Arrays.hashCode(classAlpha), gamma, beta);
    }
}
