package org.focaldl4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;

import org.focaldl4j.detection.box.Boxes;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * {@link Letterbox}: its resampling against Pillow's {@code resize(BILINEAR)} ({@code src-test-data/resize_vectors.json},
 * made by {@code make_resize_vectors.py}), and placement, flipping and the way back on hand-worked cases.
 */
class LetterboxTest {

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }

    @Test
    void resamplesAsPillowDoes() throws IOException {
        JsonNode root;
        try (InputStream in = LetterboxTest.class.getResourceAsStream("/resize_vectors.json")) {
            root = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (JsonNode c : root.get("cases")) {
            float[] got = Letterbox.resize(floats(c.get("input")), c.get("w").asInt(), c.get("h").asInt(),
                    c.get("w2").asInt(), c.get("h2").asInt());
            // float32 intermediate in both; the sums may round differently in the last place
            assertArrayEquals(floats(c.get("output")), got, 2e-6f, c.get("w") + "×" + c.get("h") + " → " + c.get("w2")
                    + "×" + c.get("h2"));
            checked++;
        }
        assertEquals(11, checked);
    }

    @Test
    void anImageOfTheLetterboxSizeIsCopiedExactly() {
        Letterbox l = new Letterbox(8);
        float[] image = new float[2 * 8 * 8];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) Math.sin(i);
        }
        assertArrayEquals(image, l.apply(image, 2, l.place(8, 8), false), 0f);
    }

    @Test
    void placesScalesFlipsAndMapsBack() {
        Letterbox l = new Letterbox(10);
        // A 4×2 image (W = 4, H = 2): s = 10/4, scaled to 10×5, placed top left, rows 5…9 zero.
        Letterbox.Placement p = l.place(4, 2);
        assertEquals(new Letterbox.Placement(4, 2, 10, 5), p);
        float[] image = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] canvas = l.apply(image, 1, p, false);
        float[] flipped = l.apply(image, 1, p, true);
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 10; x++) {
                if (y >= 5) {
                    assertEquals(0f, canvas[y * 10 + x]);
                } else {
                    assertEquals(canvas[y * 10 + x], flipped[y * 10 + 9 - x]);
                }
            }
        }
        // Upsampling a constant row keeps it constant; the left edge pixel equals the input's first value.
        assertEquals(1f, canvas[0], 1e-6f);
        double[][] box = {{1, 0, 3, 2}};
        assertArrayEquals(new double[][] {{2.5, 0, 7.5, 5}}, l.boxes(box, p, false));
        assertArrayEquals(new double[][] {{2.5, 0, 7.5, 5}}, l.boxes(box, p, true));   // symmetric box
        assertArrayEquals(new double[][] {{0, 0, 2.5, 5}}, l.boxes(new double[][] {{3, 0, 4, 2}}, p, true));
        assertArrayEquals(new double[] {1, 0, 3, 2}, l.toOriginal(new double[] {2.5, 0, 7.5, 5}, p), 1e-12);
        assertArrayEquals(new double[] {0, 0, 4, 2}, l.toOriginal(new double[] {-3, -1, 12, 9}, p), 1e-12);
        // Rounding: a 3×7 image at S = 10 → 4×10 (s·W = 4.29), x scales by exactly 4/3.
        Letterbox.Placement q = l.place(3, 7);
        assertEquals(new Letterbox.Placement(3, 7, 4, 10), q);
        assertArrayEquals(new double[][] {{4.0 / 3, 10.0 / 7, 4, 10}}, l.boxes(new double[][] {{1, 1, 3, 7}}, q, false));
        assertThrows(IllegalArgumentException.class, () -> new Letterbox(7));
        assertThrows(IllegalArgumentException.class, () -> l.place(0, 3));
        assertThrows(IllegalArgumentException.class, () -> l.apply(new float[5], 1, p, false));
        assertThrows(IllegalArgumentException.class, () -> l.boxes(new double[][] {{1, 1, 0, 2}}, p, false));
        assertEquals(0, Boxes.of(l.boxes(new double[0][], p, true), "none").size());
    }
}
