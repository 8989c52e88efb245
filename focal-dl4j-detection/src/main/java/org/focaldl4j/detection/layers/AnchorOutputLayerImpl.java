package org.focaldl4j.detection.layers;

import java.util.Arrays;
import java.util.List;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * What the two anchor loss layers share at run time: the DL4J output-layer contract around a loss that
 * gives, for the minibatch's 2-D rows (see {@link AnchorLayout}), per-row loss sums, dΣℓ/dz and per-row
 * positive counts, and the division by the normaliser n ({@link PositiveNormaliser}):
 * <pre>
 *   score = Σ rows / n (+ regularisation),      epsilon = N/n · dΣℓ/dz   (the updater divides by N)
 * </pre>
 * (with {@code miniBatch(false)} DL4J's updater does not divide, and epsilon is 1/n · dΣℓ/dz).
 * With a moving-average normaliser, n = μ·n_stored + (1 − μ)·max(1, P) for the step, and the "gradient" of
 * the stored parameter is n_stored − n, so that the {@code NoOp} update stores n.
 *
 * <p>A training step is one pass over the loss: DL4J's networks backpropagate, then ask the output layers
 * for their score on the same arrays, so {@link #backpropGradient} computes both and {@link #computeScore}
 * takes that score once (anything else — other arrays, another stored n, a score without a step — computes
 * it afresh).
 */
abstract class AnchorOutputLayerImpl<C extends AnchorOutputLayer> extends BaseLayer<C> implements IOutputLayer {

    private static final long serialVersionUID = 1L;

    protected INDArray labels;

    AnchorOutputLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** The loss on this minibatch, over the 2-D rows. */
    static final class Loss2d {
        final INDArray rowLoss;          // [rows, 1] Σ over the row's channels (always when the score is asked alone), or null
        final double lossSum;            // Σ over all rows when the score is asked; else NaN
        final INDArray gradient;         // [rows, C] dΣℓ/dz, or null
        final INDArray positives;        // [rows, 1] positive anchors in each row

        Loss2d(INDArray rowLoss, double lossSum, INDArray gradient, INDArray positives) {
            this.rowLoss = rowLoss;
            this.lossSum = lossSum;
            this.gradient = gradient;
            this.positives = positives;
        }
    }

    /** The loss over the rows; with both flags in one pass (then without per-row losses if that is cheaper). */
    abstract Loss2d loss(boolean wantScore, boolean wantGradient);

    /** The unregularised score of the last backward pass, and the arrays and stored n it was computed from. */
    private record StepScore(INDArray input, INDArray labels, INDArray mask, double stored, double value) {
    }

    private transient StepScore stepScore;

    PositiveNormaliser normaliser() {
        return layerConf().getNormaliser();
    }

    CNN2DFormat format() {
        return layerConf().getFormat();
    }

    String name() {
        return layerConf().kind();
    }

    /** The stored running normaliser, or 0 for a per-batch one. */
    private double stored() {
        INDArray stored = getParam(NormaliserParams.KEY);
        return stored == null ? 0 : stored.getDouble(0);
    }

    /** The normaliser of this step: max(1, P), or the moving average including this step's P. */
    private double normaliserOf(Loss2d l) {
        return normaliser().next(stored(), l.positives.sumNumber().doubleValue());
    }

    protected void requireInputAndLabels() {
        if (input == null || labels == null) {
            throw new IllegalArgumentException(name() + " needs input and labels " + layerId());
        }
        if (input.rank() != 3 && input.rank() != 4) {
            throw new IllegalArgumentException(name() + " needs rank-4 [N, C, H, W] or rank-3 [N, C, M] input; got "
                    + Arrays.toString(input.shape()) + " " + layerId());
        }
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        StepScore step = stepScore;
        stepScore = null;
        double value;
        if (step != null && step.input() == input && step.labels() == labels && step.mask() == maskArray
                && step.stored() == stored()) {
            value = step.value();
        } else {
            Loss2d l = loss(true, false);
            value = l.lossSum / normaliserOf(l);
        }
        this.score = value + fullNetRegTerm;
        return score;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        Loss2d l = loss(true, true);
        double n = normaliserOf(l);
        stepScore = new StepScore(input, labels, maskArray, stored(), l.lossSum / n);
        double batch = conf().isMiniBatch() ? input.size(0) : 1.0;          // what the updater will divide by
        INDArray delta2d = l.gradient.muli(batch / n);
        Gradient gradient = new DefaultGradient();
        INDArray stored = getParam(NormaliserParams.KEY);
        if (stored != null) {
            INDArray g = gradientViews.get(NormaliserParams.KEY);
            g.assign(stored.getDouble(0) - n);
            gradient.gradientForVariable().put(NormaliserParams.KEY, g);
        }
        INDArray eps = workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, AnchorLayout.back(delta2d, input.shape(), format()));
        return new Pair<>(gradient, eps);
    }

    /** Per image n: Σ_n / max(1, P_n) (+ the regularisation term), [N, 1]. */
    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        Loss2d l = loss(true, false);
        long n = input.size(0);
        long perImage = l.rowLoss.length() / n;
        INDArray loss = l.rowLoss.reshape('c', n, perImage).sum(true, 1);
        INDArray positives = l.positives.castTo(loss.dataType()).reshape('c', n, perImage).sum(true, 1);
        INDArray out = loss.divi(Transforms.max(positives, 1.0, false)).addi(fullNetRegTerm);
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
    }

    /** The running normaliser is state, not a weight: no constraint applies to it (nor to anything else here). */
    @Override
    public void applyConstraints(int iteration, int epoch) {
    }

    @Override
    public void clear() {
        super.clear();
        labels = null;
        stepScore = null;
    }

    /** The stored running normaliser is assigned by its "gradient", never divided by the minibatch size. */
    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return !NormaliserParams.KEY.equals(paramName);
    }

    @Override
    public double calcRegularizationScore(boolean backpropParamsOnly) {
        return 0;
    }

    @Override
    public boolean needsLabels() {
        return true;
    }

    @Override
    public void setLabels(INDArray labels) {
        this.labels = labels;
    }

    @Override
    public INDArray getLabels() {
        return labels;
    }

    @Override
    public void setMaskArray(INDArray maskArray) {
        this.maskArray = maskArray;
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState, int minibatchSize) {
        this.maskArray = maskArray;
        return null;                                                  // last layer
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public Type type() {
        return Type.CONVOLUTIONAL;
    }

    @Override
    public double f1Score(DataSet data) {
        throw new UnsupportedOperationException("f1Score is not defined for an anchor loss layer");
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException("f1Score is not defined for an anchor loss layer");
    }

    @Override
    public int numLabels() {
        return labels == null ? 0 : (int) labels.size(AnchorLayout.channelAxis(labels.rank(), format()));
    }

    @Override
    public void fit(DataSetIterator iter) {
        throw new UnsupportedOperationException("fit the network, not the layer");
    }

    @Override
    public int[] predict(INDArray examples) {
        throw new UnsupportedOperationException("not a classifier over examples");
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        throw new UnsupportedOperationException("not a classifier over examples");
    }

    @Override
    public void fit(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException("fit the network, not the layer");
    }

    @Override
    public void fit(DataSet data) {
        throw new UnsupportedOperationException("fit the network, not the layer");
    }

    @Override
    public void fit(INDArray examples, int[] labels) {
        throw new UnsupportedOperationException("fit the network, not the layer");
    }
}
