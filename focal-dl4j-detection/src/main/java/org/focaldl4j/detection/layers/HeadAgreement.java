package org.focaldl4j.detection.layers;

import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * What a {@link SharedHeadVertex} and the rest of its graph must agree on, checked when the graph is initialised
 * (a configuration read from JSON is not re-typed by DL4J, so an edited size would otherwise fail later, inside ND4J):
 * <ul>
 *   <li>an {@link AnchorLossLayer} with integer labels over K classes that reads the head needs O = K outputs per
 *       anchor (channel a·K + k is class k of anchor a);</li>
 *   <li>a {@link BoxRegressionLossLayer} that reads the head needs O = 4 (dx, dy, dw, dh per anchor);</li>
 *   <li>two shared heads on the same pyramid levels (RetinaNet's classification and box subnets) serve one anchor
 *       pyramid, so they need the same number of anchors per location A.</li>
 * </ul>
 */
final class HeadAgreement {

    private HeadAgreement() {
    }

    /** Refuses a disagreement of head {@code name} with a reader or a sibling head in {@code conf}, naming both numbers. */
    static void check(SharedHeadVertex head, String name, ComputationGraphConfiguration conf) {
        if (conf == null || conf.getVertexInputs() == null) {
            return;
        }
        Map<String, List<String>> inputs = conf.getVertexInputs();
        List<String> mine = inputs.get(name);
        for (Map.Entry<String, List<String>> e : inputs.entrySet()) {
            GraphVertex v = conf.getVertices().get(e.getKey());
            if (e.getKey().equals(name) || v == null) {
                continue;
            }
            if (e.getValue().contains(name) && v instanceof LayerVertex) {
                Layer layer = ((LayerVertex) v).getLayerConf().getLayer();
                int k = layer instanceof AnchorLossLayer ? ((AnchorLossLayer) layer).getIntegerLabelClasses() : 0;
                int needed = k > 0 ? k : layer instanceof BoxRegressionLossLayer ? 4 : head.getOutputsPerAnchor();
                if (needed != head.getOutputsPerAnchor()) {
                    throw new IllegalArgumentException("SharedHeadVertex \"" + name + "\" gives " + head.getAnchors()
                            + " anchors × " + head.getOutputsPerAnchor() + " outputs per anchor, but "
                            + ((AnchorOutputLayer) layer).kind() + " \"" + e.getKey() + "\" reads " + needed
                            + (k > 0 ? " classes (integer labels over K = " + k + ")" : " deltas")
                            + " per anchor: outputs per anchor " + head.getOutputsPerAnchor() + " vs " + needed);
                }
            }
            if (v instanceof SharedHeadVertex && e.getValue().equals(mine)
                    && ((SharedHeadVertex) v).getAnchors() != head.getAnchors()) {
                throw new IllegalArgumentException("SharedHeadVertex \"" + name + "\" has anchors=" + head.getAnchors()
                        + " but \"" + e.getKey() + "\", on the same pyramid levels, has anchors="
                        + ((SharedHeadVertex) v).getAnchors() + "; heads serving one anchor pyramid need the same "
                        + "number of anchors per location");
            }
        }
    }
}
