package org.focaldl4j.detection.box;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** {@link BoxCoder} against torchvision's BoxCoder ({@code src-test-data/box_coder_vectors.json}), and its round trip. */
class BoxCoderTest {

    private static List<JsonNode> cases() throws IOException {
        try (InputStream in = BoxCoderTest.class.getResourceAsStream("/box_coder_vectors.json")) {
            List<JsonNode> out = new ArrayList<>();
            new ObjectMapper().readTree(in).get("cases").forEach(out::add);
            return out;
        }
    }

    private static double[] row(JsonNode matrix, int i) {
        JsonNode r = matrix.get(i);
        return new double[] {r.get(0).asDouble(), r.get(1).asDouble(), r.get(2).asDouble(), r.get(3).asDouble()};
    }

    private static INDArray matrix(JsonNode m) {
        double[][] out = new double[m.size()][];
        for (int i = 0; i < m.size(); i++) {
            out[i] = row(m, i);
        }
        return Nd4j.createFromArray(out);
    }

    private static BoxCoder coder(JsonNode c) {
        JsonNode w = c.get("weights");
        return new BoxCoder(w.get(0).asDouble(), w.get(1).asDouble(), w.get(2).asDouble(), w.get(3).asDouble());
    }

    @Test
    void encodesAndDecodesLikeTorchvision() throws IOException {
        int wildClamped = 0;
        for (JsonNode c : cases()) {
            BoxCoder coder = coder(c);
            for (int i = 0; i < c.get("anchors").size(); i++) {
                double[] anchor = row(c.get("anchors"), i);
                assertArrayEquals(row(c.get("deltas"), i), coder.encode(anchor, row(c.get("boxes"), i)), 1e-12,
                        "encode " + i + " " + coder);
                double[] wild = row(c.get("wildDeltas"), i);
                assertArrayEquals(row(c.get("decodedWild"), i), coder.decode(anchor, wild), 1e-9,
                        "decode " + i + " " + coder);
                if (wild[2] / coder.weights()[2] > BoxCoder.SCALE_CLAMP) {
                    wildClamped++;
                }
            }
            // The ND4J versions give the same numbers.
            INDArray anchors = matrix(c.get("anchors"));
            assertTrue(matrix(c.get("deltas")).equalsWithEps(coder.encode(anchors, matrix(c.get("boxes"))), 1e-12));
            assertTrue(matrix(c.get("decodedWild")).equalsWithEps(coder.decode(anchors, matrix(c.get("wildDeltas"))), 1e-9));
        }
        assertTrue(wildClamped >= 5, "the vectors exercise the clamp: " + wildClamped);
    }

    @Test
    void roundTripIsExactToRounding() {
        BoxCoder coder = new BoxCoder(10, 10, 5, 5);
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < 1000; i++) {
            double[] anchor = {r.nextDouble() * 500, r.nextDouble() * 500, 0, 0};
            // sides 8…300: scale ratios up to 37.5, inside the decode clamp (62.5), where decode inverts encode
            anchor[2] = anchor[0] + 8 + r.nextDouble() * 292;
            anchor[3] = anchor[1] + 8 + r.nextDouble() * 292;
            double[] box = {r.nextDouble() * 500, r.nextDouble() * 500, 0, 0};
            box[2] = box[0] + 8 + r.nextDouble() * 292;
            box[3] = box[1] + 8 + r.nextDouble() * 292;
            assertArrayEquals(box, coder.decode(anchor, coder.encode(anchor, box)), 1e-12 * 1000, "pair " + i);
        }
        double[] anchor = {0, 0, 16, 16};
        assertArrayEquals(new double[] {0, 0, 0, 0}, coder.encode(anchor, anchor), 0.0);
    }

    @Test
    void decodeClampsHugeScales() {
        // dw = 100 would overflow; clamped at log(1000/16), the width is 1000/16 anchor widths.
        double[] box = new BoxCoder().decode(new double[] {0, 0, 16, 16}, new double[] {0, 0, 100, -1});
        assertEquals(1000.0, box[2] - box[0], 1e-9);
        assertEquals(16 * Math.exp(-1), box[3] - box[1], 1e-12);          // only large scales are clamped
    }

    @Test
    void refusesWhatCannotBeEncoded() {
        BoxCoder coder = new BoxCoder();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> coder.encode(new double[] {0, 0, 10, 10}, new double[] {5, 5, 5, 9}));
        assertTrue(e.getMessage().contains("positive width"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BoxCoder(1, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new BoxCoder(1, 1, Double.NaN, 1));
        INDArray anchors = Nd4j.createFromArray(new double[][] {{0, 0, 10, 10}, {0, 0, 10, 10}});
        INDArray boxes = Nd4j.createFromArray(new double[][] {{0, 0, 10, 10}, {3, 3, 3, 8}});
        e = assertThrows(IllegalArgumentException.class, () -> coder.encode(anchors, boxes));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> coder.encode(anchors, Nd4j.zeros(DataType.DOUBLE, 3, 4)));
    }
}
