package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.focaldl4j.detection.data.DetectionImages;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The toy canvases: reproducible, shapes inside and apart, bright where the boxes say and shaped by class. */
class ShapeCanvasesTest {

    @Test
    void sameSeedSameCanvasesAndShapesWhereTheBoxesSay() {
        DetectionImages a = ShapeCanvases.generate(20, 48, 3, 7);
        DetectionImages b = ShapeCanvases.generate(20, 48, 3, 7);
        assertEquals(a.images(0, 20), b.images(0, 20));
        for (int i = 0; i < 20; i++) {
            double[][] boxes = a.boxes(i);
            int[] classes = a.classes(i);
            assertTrue(boxes.length >= 1 && boxes.length <= 3, "image " + i + ": " + boxes.length + " shapes");
            INDArray img = a.images(i, i + 1);
            for (int k = 0; k < boxes.length; k++) {
                double w = boxes[k][2] - boxes[k][0];
                double h = boxes[k][3] - boxes[k][1];
                assertEquals(classes[k] == 0 ? w : classes[k] == 1 ? w / 2 : h / 2, classes[k] == 2 ? w : h, 0.5,
                        "image " + i + " box " + k + " of class " + classes[k] + ": " + w + "×" + h);
                // the shape's pixels are +1 on noise of σ 0.2: their mean is far above the background's 0
                double mean = 0;
                for (int y = (int) boxes[k][1]; y < boxes[k][3]; y++) {
                    for (int x = (int) boxes[k][0]; x < boxes[k][2]; x++) {
                        mean += img.getDouble(0, 0, y, x) / (w * h);
                    }
                }
                assertTrue(mean > 0.7, "image " + i + " box " + k + " mean " + mean);
                for (int j = 0; j < k; j++) {
                    double[] o = boxes[j];
                    assertTrue(boxes[k][2] + 1 <= o[0] || o[2] + 1 <= boxes[k][0] || boxes[k][3] + 1 <= o[1]
                            || o[3] + 1 <= boxes[k][1], "image " + i + ": boxes " + j + " and " + k + " touch");
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ShapeCanvases.generate(1, 8, 1, 1));
    }
}
