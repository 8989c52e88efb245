package org.focaldl4j.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.layers.PositiveNormaliser;
import org.focaldl4j.detection.model.Backbones;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.loss.LossFocal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * One empty canvas of weight E against E literal empty canvases in the same batch: the same score, the same steps
 * (parameters after three Nesterov steps with weight decay), the same running normaliser, in DOUBLE; weight E − 1
 * differs. Also the experiment's bookkeeping: the anchor counts and the data loss apart from regularisation.
 */
class EmptyCanvasesTest {

    private static final int SIZE = 32;
    private static final int EMPTY = 3;

    /** Two canvases with one filled rectangle each (classes 0 and 1), then {@code empty} blank canvases. */
    private static DetectionImages canvases(int empty) {
        int n = 2 + empty;
        INDArray images = Nd4j.zeros(DataType.FLOAT, n, 1, SIZE, SIZE);
        double[][][] boxes = new double[n][][];
        int[][] classes = new int[n][];
        int[][] rects = {{3, 5, 17, 12}, {18, 9, 25, 23}};                 // x1, y1, x2, y2
        for (int i = 0; i < n; i++) {
            if (i < 2) {
                int[] r = rects[i];
                for (int y = r[1]; y < r[3]; y++) {
                    for (int x = r[0]; x < r[2]; x++) {
                        images.putScalar(new long[] {i, 0, y, x}, 0.5 + 0.5 * i);
                    }
                }
                boxes[i] = new double[][] {{r[0], r[1], r[2], r[3]}};
                classes[i] = new int[] {i};
            } else {
                boxes[i] = new double[0][];
                classes[i] = new int[0];
            }
        }
        return new DetectionImages(images, boxes, classes, 2);
    }

    private static RetinaNet.Builder builder(PositiveNormaliser normaliser, double weightDecay) {
        return RetinaNet.builder().input(SIZE, SIZE, 1).classes(2).backbone(Backbones.tiny(4))
                .anchors(AnchorPyramid.of(2, 8, 16)).fpnChannels(8).heads(1, 8).classLoss(new LossFocal(0.25, 2))
                .normaliser(normaliser).updater(new Nesterovs(0.05, 0.9)).weightDecay(weightDecay).seed(3);
    }

    private static MultiDataSet toDouble(MultiDataSet b) {
        INDArray[] masks = b.getLabelsMaskArrays();
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {b.getFeatures(0).castTo(DataType.DOUBLE)},
                new INDArray[] {b.getLabels(0).castTo(DataType.DOUBLE), b.getLabels(1).castTo(DataType.DOUBLE)}, null,
                new INDArray[] {masks[0] == null ? null : masks[0].castTo(DataType.DOUBLE),
                    masks[1].castTo(DataType.DOUBLE)});
    }

    private static MultiDataSet literal(AnchorTargets targets) {
        return canvases(EMPTY).iterator(targets, 2 + EMPTY).next();
    }

    private static MultiDataSet weighted(AnchorTargets targets, int weight) {
        MultiDataSetIterator it = canvases(0).iterator(targets, 2);
        it.setPreProcessor(new EmptyCanvases(weight, targets, 1));
        return it.next();
    }

    private static double maxRelativeDifference(INDArray a, INDArray b) {
        double scale = Math.max(a.amaxNumber().doubleValue(), b.amaxNumber().doubleValue());
        return a.sub(b).amaxNumber().doubleValue() / scale;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void oneWeightedEmptyCanvasStepsLikeELiteralOnes(boolean movingAverage) {
        PositiveNormaliser normaliser = movingAverage ? PositiveNormaliser.movingAverage() : PositiveNormaliser.perBatch();
        RetinaNet retinaNet = builder(normaliser, 1e-3).build();
        AnchorTargets targets = retinaNet.targets();
        MultiDataSet literal = toDouble(literal(targets));
        MultiDataSet weighted = toDouble(weighted(targets, EMPTY));
        MultiDataSet wrong = toDouble(weighted(targets, EMPTY - 1));
        assertEquals(2 + EMPTY, literal.getFeatures(0).size(0));
        assertEquals(3, weighted.getFeatures(0).size(0));
        ComputationGraph a = retinaNet.network().convertDataType(DataType.DOUBLE);
        ComputationGraph b = a.clone();
        ComputationGraph c = a.clone();
        for (int step = 0; step < 3; step++) {
            a.fit(literal);
            b.fit(weighted);
            c.fit(wrong);
            assertEquals(a.score(), b.score(), 1e-12 * Math.abs(a.score()), "score at step " + step);
            assertTrue(maxRelativeDifference(a.params(), b.params()) < 1e-12, "parameters after step " + step + ": "
                    + maxRelativeDifference(a.params(), b.params()));
            if (movingAverage) {
                assertEquals(a.getLayer("cls").getParam(PositiveNormaliser.PARAMETER).getDouble(0),
                        b.getLayer("cls").getParam(PositiveNormaliser.PARAMETER).getDouble(0), 1e-12);
                assertEquals(a.getLayer("box").getParam(PositiveNormaliser.PARAMETER).getDouble(0),
                        b.getLayer("box").getParam(PositiveNormaliser.PARAMETER).getDouble(0), 1e-12);
            }
        }
        // weight E − 1 differs far beyond the equivalence's 1e-12 (measured: 3e-5 and 1e-5 of the score; the prior makes
        // an empty canvas's loss small)
        assertTrue(Math.abs(a.score() - c.score()) > 1e-7 * Math.abs(a.score()), "weight E − 1 must differ: "
                + a.score() + " " + c.score());
        assertTrue(maxRelativeDifference(a.params(), c.params()) > 1e-9, "parameters with weight E − 1: "
                + maxRelativeDifference(a.params(), c.params()));
    }

    @Test
    void theAnchorCountsWeighTheEmptyCanvas() {
        AnchorTargets targets = builder(PositiveNormaliser.perBatch(), 0).build().targets();
        double[] literal = new double[2];
        double[] weighted = new double[2];
        RetinaNetExperiment.Runner.countAnchors(literal(targets), 2, literal);
        RetinaNetExperiment.Runner.countAnchors(weighted(targets, EMPTY), 2, weighted);
        assertArrayEquals(literal, weighted, 0);
        // an empty canvas: all of its A·M = 9 · (4·4 + 2·2) = 180 anchors background
        double[] object = new double[2];
        RetinaNetExperiment.Runner.countAnchors(canvases(0).iterator(targets, 2).next(), 2, object);
        assertEquals(object[0] + EMPTY * 180, literal[0], 0);
        assertEquals(object[1], literal[1], 0);
        assertTrue(object[1] >= 2, "each object canvas has a positive anchor");
    }

    @Test
    void theDataLossIsTheFirstOutputsScoreLessTheRegularisationBeforeTheStep() {
        RetinaNet decayed = builder(PositiveNormaliser.perBatch(), 0.1).build();
        ComputationGraph net = decayed.network();
        ComputationGraph plain = builder(PositiveNormaliser.perBatch(), 0).build().network();
        plain.setParams(net.params());
        MultiDataSet batch = weighted(decayed.targets(), EMPTY);
        double regularisation = net.calcRegularizationScore(true);
        net.fit(batch);                                              // the experiment's order: regularisation, then fit
        plain.setInputs(batch.getFeatures());
        plain.setLabels(batch.getLabels());
        plain.setLayerMaskArrays(null, batch.getLabelsMaskArrays());
        plain.computeGradientAndScore();
        assertTrue(regularisation > 1e-3, "the test needs a visible regularisation term: " + regularisation);
        assertEquals(plain.getLayer("cls").score(), net.getLayer("cls").score() - regularisation, 1e-5);
        assertEquals(plain.getLayer("box").score(), net.getLayer("box").score(), 1e-6);
        assertEquals(net.score(), net.getLayer("cls").score() + net.getLayer("box").score(), 1e-5);
    }

    @Test
    void badArgumentsAndBatchesAreRefused() {
        AnchorTargets targets = builder(PositiveNormaliser.perBatch(), 0).build().targets();
        assertThrows(IllegalArgumentException.class, () -> new EmptyCanvases(0, targets, 1));
        assertThrows(IllegalArgumentException.class, () -> new EmptyCanvases(2, null, 1));
        MultiDataSet already = weighted(targets, 2);                 // its class mask is set: refused, not stacked
        assertThrows(IllegalArgumentException.class, () -> new EmptyCanvases(2, targets, 1).preProcess(already));
    }
}
