package org.focaldl4j.examples.experiment;

import org.focaldl4j.detection.anchor.AnchorTargets;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * E empty canvases (no items: every anchor background) joined to each training batch, computed as one empty canvas
 * whose classification-loss entries carry weight E (its row of a per-image label mask [B + 1, 1]; the others 1).
 * It equals E literal empty canvases because
 * <ul>
 *   <li>no layer of the detector mixes the images of a batch, so E identical canvases add E times one canvas's loss
 *       and gradient;</li>
 *   <li>an empty canvas has no positive anchor, so the positive count P, the normaliser n and its moving average are
 *       those of the object canvases alone;</li>
 *   <li>the box layer's mask (the positives) is 0 on an empty canvas either way;</li>
 *   <li>the anchor layers hand DL4J's updater N/n · dΣℓ/dz and the updater divides by the minibatch size N, so the
 *       step does not depend on N (weight decay does not either).</li>
 * </ul>
 * {@code EmptyCanvasesTest} checks it against literal canvases. For batches of {@code DetectionImages}' iterators:
 * inputs {images}, labels {class indices, deltas}, label masks {none, positives}; the batch is replaced in place.
 */
final class EmptyCanvases implements MultiDataSetPreProcessor {

    private final double weight;
    private final INDArray image;          // [1, C, H, W] zeros
    private final INDArray[] targets;      // {class indices [1, A, M] (all background), deltas (0), positives (0)}

    /**
     * @param weight   E ≥ 1, the empty canvases per batch
     * @param targets  the detector's targets
     * @param channels the images' channels
     */
    EmptyCanvases(int weight, AnchorTargets targets, int channels) {
        if (weight < 1 || targets == null || channels < 1) {
            throw new IllegalArgumentException("EmptyCanvases needs a weight >= 1, targets and channels >= 1; got " + weight
                    + ", " + targets + ", " + channels);
        }
        this.weight = weight;
        this.image = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, channels, targets.imageHeight(),
                targets.imageWidth());
        this.targets = targets.batch(new double[][][] {new double[0][]}, new int[][] {new int[0]});
    }

    @Override
    public void preProcess(MultiDataSet batch) {
        INDArray[] masks = batch.getLabelsMaskArrays();
        if (batch.numFeatureArrays() != 1 || batch.numLabelsArrays() != 2 || masks == null || masks.length != 2
                || masks[0] != null || masks[1] == null) {
            throw new IllegalArgumentException("EmptyCanvases needs a detection batch: one input, labels {classes, deltas},"
                    + " label masks {none, positives}");
        }
        long n = batch.getFeatures(0).size(0);
        INDArray classMask = Nd4j.ones(batch.getLabels(0).dataType(), n + 1, 1);
        classMask.putScalar(n, 0, weight);
        batch.setFeatures(0, Nd4j.concat(0, batch.getFeatures(0), image.castTo(batch.getFeatures(0).dataType())));
        batch.setLabels(0, Nd4j.concat(0, batch.getLabels(0), targets[0].castTo(batch.getLabels(0).dataType())));
        batch.setLabels(1, Nd4j.concat(0, batch.getLabels(1), targets[1].castTo(batch.getLabels(1).dataType())));
        batch.setLabelsMaskArray(new INDArray[] {classMask,
            Nd4j.concat(0, masks[1], targets[2].castTo(masks[1].dataType()))});
    }
}
