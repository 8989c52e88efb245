package org.focaldl4j.detection;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.testing.RestoresSystemProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * On ND4J's default build (this module's test class path) {@code focal-dl4j-onednn} and DL4J's helper switch change
 * nothing: no oneDNN in the build, so DL4J's check is false and the detector's convolution layers keep DL4J's own path.
 */
@ExtendWith(RestoresSystemProperties.class)
class OneDnnDefaultBuildTest {

    @Test
    void theSwitchIsInertWithoutOneDnn() {
        assertFalse(NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().contains("HAVE_ONEDNN"),
                "this module tests on ND4J's default build");
        System.setProperty("org.eclipse.deeplearning4j.helpers.disable", "false");
        assertFalse(org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN());
        assertFalse(BaseMKLDNNHelper.mklDnnEnabled());
        RetinaNet detector = TinyDetection.small().build();
        int convs = 0;
        for (Layer layer : detector.network().getLayers()) {
            if (layer instanceof ConvolutionLayer) {
                assertNull(layer.getHelper(), layer.conf().getLayer().getLayerName());
                convs++;
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(convs > 0);
    }
}
