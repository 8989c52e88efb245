package org.focaldl4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * {@link ImageFiles} against Pillow ({@code src-test-data/make_image_vectors.py}): PNG files of every kind decode to
 * exactly Pillow's samples, JPEG files to within two levels of 255 (two IDCTs), and the lossless conversions and
 * refusals of the class comment hold.
 */
class ImageFilesTest {

    private static JsonNode vectors() throws IOException {
        try (InputStream in = ImageFilesTest.class.getResourceAsStream("/image_vectors.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static Path image(String name) {
        try {
            return Path.of(ImageFilesTest.class.getResource("/images/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static float[] pillow(JsonNode v) {
        float[] out = new float[v.get("pixels").size()];
        for (int p = 0; p < out.length; p++) {
            out[p] = (float) v.get("pixels").get(p).asDouble();
        }
        return out;
    }

    @Test
    void pngFilesDecodeExactlyAsPillowDecodesThem() throws IOException {
        Iterator<Map.Entry<String, JsonNode>> it = vectors().get("exact").fields();
        int checked = 0;
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            Path file = image(e.getKey());
            assertArrayEquals(new int[] {v.get("width").asInt(), v.get("height").asInt()}, ImageFiles.size(file));
            float[] expected = pillow(v);
            float[] got = ImageFiles.decode(file, v.get("channels").asInt());
            assertArrayEquals(expected, got, 0f, e.getKey());
            checked++;
        }
        assertEquals(7, checked);
    }

    @Test
    void jpegFilesDecodeWithinTwoLevelsOfPillow() throws IOException {
        Iterator<Map.Entry<String, JsonNode>> it = vectors().get("jpeg").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            float[] expected = pillow(e.getValue());
            float[] got = ImageFiles.decode(image(e.getKey()), e.getValue().get("channels").asInt());
            double worst = 0;
            for (int p = 0; p < got.length; p++) {
                worst = Math.max(worst, Math.abs(got[p] - expected[p]) * 255);
            }
            assertTrue(worst <= 2.0 + 1e-4, e.getKey() + ": largest difference " + worst + " levels of 255");
        }
    }

    @Test
    void greyIsCopiedToThreeChannelsAndEqualChannelsReadAsGrey() throws IOException {
        float[] grey = ImageFiles.decode(image("grey.png"), 1);
        float[] asRgb = ImageFiles.decode(image("grey.png"), 3);
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < grey.length; p++) {
                assertEquals(grey[p], asRgb[c * grey.length + p]);
            }
        }
        assertArrayEquals(grey, ImageFiles.decode(image("grey_as_rgb.png"), 1));
        float[] rgb = ImageFiles.decode(image("rgb.png"), 3);
        assertEquals(3 * grey.length, rgb.length);
        // The green plane of rgb.png is grey.png (the script's construction): the channel order is R, G, B.
        for (int p = 0; p < grey.length; p++) {
            assertEquals(grey[p], rgb[grey.length + p]);
        }
    }

    @Test
    void refusesWhatItCannotReadLosslessly() throws IOException {
        for (JsonNode n : vectors().get("refused")) {
            IOException e = assertThrows(IOException.class, () -> ImageFiles.decode(image(n.asText()), 3),
                    n.asText());
            assertTrue(e.getMessage().contains(n.asText()), e.getMessage());
        }
        IOException colour = assertThrows(IOException.class, () -> ImageFiles.decode(image("rgb.png"), 1));
        assertTrue(colour.getMessage().contains("rgb.png") && colour.getMessage().contains("grey network"),
                colour.getMessage());
        IOException transparent = assertThrows(IOException.class,
                () -> ImageFiles.decode(image("rgba_transparent.png"), 3));
        assertTrue(transparent.getMessage().contains("pixel (7, 5)") && transparent.getMessage().contains("alpha 128"),
                transparent.getMessage());
        IOException missing = assertThrows(IOException.class,
                () -> ImageFiles.size(image("rgb.png").resolveSibling("absent.png")));
        assertTrue(missing.getMessage().contains("absent.png"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageFiles.decode(image("rgb.png"), 2));
    }
}
