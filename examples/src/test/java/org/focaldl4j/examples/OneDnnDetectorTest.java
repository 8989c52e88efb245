package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.testing.RestoresSystemProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The demo's detector with DL4J's oneDNN convolution helper ({@code focal-dl4j-onednn} on the class path, the
 * examples' oneDNN build of ND4J, {@link FashionDetector#dl4jOneDnnHelpers()}) computes what it computes without:
 * outputs, score and every parameter's gradient of a training batch, to the FLOAT tolerance measured here.
 */
@ExtendWith(RestoresSystemProperties.class)
class OneDnnDetectorTest {

    /**
     * Largest |helper − plain| / max|plain| per array; measured on this batch: at most 4.4e-7 for the outputs and
     * 2.2e-6 for the gradients (FLOAT: oneDNN sums in another order than DL4J's im2col + GEMM).
     */
    private static final double TOLERANCE = 1e-5;

    @Test
    void theDetectorComputesTheSameWithDl4jsOneDnnHelper() {
        assumeTrue(NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().contains("HAVE_ONEDNN"),
                "the examples' oneDNN build of ND4J (profile onednn, on by default)");
        FashionDetector.Settings s = new FashionDetector.Settings();
        s.width = 8;
        System.clearProperty(FashionDetector.DL4J_HELPERS_DISABLED);
        FashionDetector.dl4jOneDnnHelpers();
        assertTrue(FashionDetector.dl4jHelpersAllowed());
        RetinaNet fastDetector = FashionDetector.detector(s, 3);
        ComputationGraph fast = fastDetector.network();                  // DL4J decides when it makes the layers
        System.clearProperty(FashionDetector.DL4J_HELPERS_DISABLED);
        RetinaNet plainDetector = FashionDetector.detector(s, 3);
        ComputationGraph plain = plainDetector.network();
        int convs = 0;
        for (org.deeplearning4j.nn.api.Layer layer : fast.getLayers()) {
            if (layer instanceof org.deeplearning4j.nn.layers.convolution.ConvolutionLayer) {
                assertInstanceOf(MKLDNNConvHelper.class, layer.getHelper(), layer.conf().getLayer().getLayerName());
                assertNull(plain.getLayer(layer.conf().getLayer().getLayerName()).getHelper());
                convs++;
            }
        }
        assertTrue(convs >= 8, "backbone and pyramid convolutions: " + convs);
        plain.setParams(fast.params().dup());

        FashionMnist.Items items = FashionMnist.load(FashionMnist.Source.SUBSET, true);
        DetectionImages images = FashionCanvases.generate(items, 16, FashionDetector.SIZE, 16, 40, 0.3, 5);
        MultiDataSet batch = images.iterator(fastDetector.targets(), 16).next();

        INDArray[] a = plain.output(batch.getFeatures());
        INDArray[] b = fast.output(batch.getFeatures());
        for (int i = 0; i < a.length; i++) {
            assertClose("output " + i, a[i], b[i]);
        }
        fast.setInputs(batch.getFeatures());
        fast.setLabels(batch.getLabels());
        fast.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
        fast.computeGradientAndScore();
        plain.setInputs(batch.getFeatures());
        plain.setLabels(batch.getLabels());
        plain.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
        plain.computeGradientAndScore();
        assertEquals(plain.score(), fast.score(), TOLERANCE * Math.abs(plain.score()), "score");
        for (Map.Entry<String, INDArray> e : plain.gradient().gradientForVariable().entrySet()) {
            assertClose("gradient of " + e.getKey(), e.getValue(), fast.gradient().getGradientFor(e.getKey()));
        }
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-30);
        double error = expected.sub(actual).amaxNumber().doubleValue() / scale;
        System.out.printf("%s: relative max error %.2e%n", what, error);
        assertTrue(error <= TOLERANCE, what + ": relative max error " + error + " > " + TOLERANCE);
    }
}
