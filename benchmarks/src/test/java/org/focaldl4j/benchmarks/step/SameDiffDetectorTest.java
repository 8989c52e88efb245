package org.focaldl4j.benchmarks.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.examples.FashionCanvases;
import org.focaldl4j.examples.FashionDetector;
import org.focaldl4j.examples.FashionMnist;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The SameDiff twin of the demo's detector that {@link StepSpeed} times is the same model: with the DL4J
 * network's weights it computes the DL4J network's box deltas and class logits (every conv, padding,
 * upsampling and shared head) and its loss (anchor loss layers, positive-anchor normaliser) on real canvases,
 * and {@code sd.fit} lowers that loss.
 */
class SameDiffDetectorTest {

    @Test
    void sameLossAsTheDl4jDetectorAndTrains() {
        FashionDetector.Settings s = new FashionDetector.Settings();
        s.width = 4;
        FashionMnist.Items items = FashionMnist.load(FashionMnist.Source.SUBSET, true);
        DetectionImages canvases = FashionCanvases.generate(items, 24, FashionDetector.SIZE, 16, 40, 0.3, 3);
        RetinaNet retinaNet = FashionDetector.detector(s, 7);
        ComputationGraph net = retinaNet.network();
        // He-normal subnet weights and N(0, 0.1) biases, the prior bias included (with the initial N(0, 0.01)
        // weights the outputs would hardly differ from the biases).
        java.util.Random random = new java.util.Random(11);
        for (String head : new String[] {"cls_head", "box_head"}) {
            for (Map.Entry<String, INDArray> p : net.getVertex(head).paramTable(false).entrySet()) {
                INDArray v = p.getValue();
                double sd = p.getKey().startsWith("W") ? Math.sqrt(2.0 / (v.size(0) * v.size(1) * v.size(2))) : 0.1;
                for (long e = 0; e < v.length(); e++) {
                    v.putScalar(e, random.nextGaussian() * sd);
                }
            }
        }
        MultiDataSetIterator it = canvases.iterator(retinaNet.targets(), 8);
        List<MultiDataSet> batches = new ArrayList<>();
        while (it.hasNext()) {
            batches.add(it.next());
        }
        SameDiffDetector sd = new SameDiffDetector(s.width, FashionDetector.SIZE, FashionMnist.CLASS_NAMES.size(),
                0.25, 2, 0.1, new Adam(s.learningRate), 1);
        sd.copyFrom(net);
        List<MultiDataSet> inputs = new ArrayList<>();
        for (MultiDataSet b : batches) {
            inputs.add(sd.inputs(b));
        }
        for (int i = 0; i < batches.size(); i++) {
            INDArray images = batches.get(i).getFeatures(0);
            Map<String, INDArray> acts = net.feedForward(images, false);
            INDArray[] twin = sd.outputs(images);
            // Both outputs carry the whole network's signal; the deltas are checked to 1e-4 of their largest value.
            INDArray deltas = acts.get("box_head");
            assertEquals(deltas.shapeInfoToString(), twin[1].shapeInfoToString());
            double scale = deltas.amaxNumber().doubleValue();
            assertTrue(scale > 0.1, "deltas " + scale);
            assertEquals(0, deltas.sub(twin[1]).amaxNumber().doubleValue(), 1e-4 * scale, "batch " + i + " deltas");
            INDArray logits = acts.get("cls_head");
            assertEquals(0, logits.sub(twin[0]).amaxNumber().doubleValue(), 1e-5 * logits.amaxNumber().doubleValue(),
                    "batch " + i + " logits");
            // Losses: float sums over 8 × 90 × 80 terms in different orders.
            double dl4j = net.score(batches.get(i));
            assertEquals(dl4j, sd.loss(inputs.get(i)), 1e-3 * dl4j, "batch " + i + " loss");
        }
        double before = sd.loss(inputs.get(0));
        for (int step = 0; step < 15; step++) {
            sd.step(inputs.get(step % inputs.size()));
        }
        double after = sd.loss(inputs.get(0));
        assertTrue(after < 0.8 * before, "loss " + before + " -> " + after);
    }
}
