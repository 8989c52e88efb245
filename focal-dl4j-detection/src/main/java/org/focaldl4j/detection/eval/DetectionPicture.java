package org.focaldl4j.detection.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.box.Detection;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Draws images with their ground-truth boxes (green, class name) and detections (orange, class name and
 * score) into one grid picture: {@code columns} images per row, each scaled by {@code scale}. Grey images
 * [N, 1, H, W] or colour [N, 3, H, W] with values in [0, 1] (outside is clamped for display only).
 */
public final class DetectionPicture {

    private static final Color TRUTH = new Color(40, 200, 60);
    private static final Color DETECTION = new Color(255, 140, 0);

    private DetectionPicture() {
    }

    /**
     * @param images      [N, C, H, W], C = 1 or 3
     * @param detections  per image a list (empty for none), boxes in input pixels; or null for no detections at all
     * @param truthBoxes  per image, ground-truth boxes {x1, y1, x2, y2} (or null)
     * @param truthClasses per image, their classes (or null)
     * @param classNames  a name per class
     */
    public static BufferedImage draw(INDArray images, List<List<Detection>> detections, double[][][] truthBoxes,
                                     int[][] truthClasses, List<String> classNames, int columns, int scale) {
        if (images == null || images.rank() != 4 || (images.size(1) != 1 && images.size(1) != 3)) {
            throw new IllegalArgumentException("images must be [N, 1 or 3, H, W]");
        }
        if (columns < 1 || scale < 1 || classNames == null) {
            throw new IllegalArgumentException("need columns >= 1, scale >= 1 and class names; got " + columns + ", "
                    + scale + ", " + classNames);
        }
        for (int k = 0; k < classNames.size(); k++) {
            if (classNames.get(k) == null) {
                throw new IllegalArgumentException("classNames[" + k + "] is null");
            }
        }
        long count = images.size(0);
        if (detections != null && detections.size() != count) {
            throw new IllegalArgumentException("detections must hold one list per image (" + count + "); got "
                    + detections.size());
        }
        for (int i = 0; detections != null && i < detections.size(); i++) {
            List<Detection> found = detections.get(i);
            int nullAt = -1;
            for (int k = 0; found != null && k < found.size() && nullAt < 0; k++) {
                nullAt = found.get(k) == null ? k : -1;          // a loop: List.of's indexOf(null) throws
            }
            if (found == null || nullAt >= 0) {
                throw new IllegalArgumentException("detections[" + i + "] " + (found == null ? "is null (use an empty "
                        + "list for none)" : "holds null at index " + nullAt));
            }
        }
        if (truthBoxes != null && truthBoxes.length != count) {
            throw new IllegalArgumentException("truthBoxes must hold one array per image (" + count + "); got "
                    + truthBoxes.length);
        }
        if (truthClasses != null && truthBoxes == null) {
            throw new IllegalArgumentException("truthClasses given without truthBoxes");
        }
        for (int i = 0; truthBoxes != null && i < truthBoxes.length; i++) {
            if (truthBoxes[i] == null) {
                throw new IllegalArgumentException("truthBoxes[" + i + "] is null (use an empty array for no boxes)");
            }
            if (truthClasses != null && (truthClasses[i] == null || truthClasses[i].length != truthBoxes[i].length)) {
                throw new IllegalArgumentException("truthClasses[" + i + "] must hold a class per box ("
                        + truthBoxes[i].length + "); got " + (truthClasses[i] == null ? "null" : truthClasses[i].length));
            }
            for (int b = 0; b < truthBoxes[i].length; b++) {
                Boxes.checked(truthBoxes[i][b], "truthBoxes[" + i + "][" + b + "]");
            }
        }
        int gap = 4;
        long width = (long) columns * (images.size(3) * scale + gap) + gap;
        long height = (count + columns - 1) / columns * (images.size(2) * scale + gap) + gap;
        if (width * height > 1L << 28) {
            throw new IllegalArgumentException("a picture of " + width + "x" + height + " pixels is too large (over 2^28)");
        }
        int n = (int) count;
        int h = (int) images.size(2);
        int w = (int) images.size(3);
        int rows = (n + columns - 1) / columns;
        BufferedImage out = new BufferedImage(columns * (w * scale + gap) + gap, rows * (h * scale + gap) + gap,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, 3 * scale)));
        for (int i = 0; i < n; i++) {
            int ox = gap + (i % columns) * (w * scale + gap);
            int oy = gap + (i / columns) * (h * scale + gap);
            INDArray img = images.get(NDArrayIndex.point(i)).castTo(DataType.FLOAT);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb;
                    if (img.size(0) == 1) {
                        int v = level(img.getDouble(0, y, x));
                        rgb = (v << 16) | (v << 8) | v;
                    } else {
                        rgb = (level(img.getDouble(0, y, x)) << 16) | (level(img.getDouble(1, y, x)) << 8)
                                | level(img.getDouble(2, y, x));
                    }
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            out.setRGB(ox + x * scale + dx, oy + y * scale + dy, rgb);
                        }
                    }
                }
            }
            g.setStroke(new BasicStroke(Math.max(1f, scale / 2f)));
            if (truthBoxes != null) {
                for (int b = 0; b < truthBoxes[i].length; b++) {
                    String label = truthClasses == null ? "" : name(classNames, truthClasses[i][b]);
                    box(g, TRUTH, truthBoxes[i][b], label, ox, oy, scale, false);
                }
            }
            if (detections != null) {
                for (Detection d : detections.get(i)) {
                    box(g, DETECTION, d.box(), String.format(Locale.ROOT, "%s %.2f", name(classNames, d.classIndex()),
                            d.score()), ox, oy, scale, true);
                }
            }
        }
        g.dispose();
        return out;
    }

    private static int level(double v) {
        return (int) Math.round(255 * Math.max(0, Math.min(1, v)));
    }

    private static String name(List<String> classNames, int k) {
        if (k < 0 || k >= classNames.size()) {
            throw new IllegalArgumentException("class " + k + " has no name among the " + classNames.size() + " given");
        }
        return classNames.get(k);
    }

    private static void box(Graphics2D g, Color c, double[] b, String label, int ox, int oy, int scale, boolean below) {
        int x1 = ox + (int) Math.round(b[0] * scale);
        int y1 = oy + (int) Math.round(b[1] * scale);
        int x2 = ox + (int) Math.round(b[2] * scale);
        int y2 = oy + (int) Math.round(b[3] * scale);
        g.setColor(c);
        g.drawRect(x1, y1, Math.max(1, x2 - x1), Math.max(1, y2 - y1));
        if (!label.isEmpty()) {
            int ty = below ? y2 + g.getFontMetrics().getAscent() : y1 - 2;
            g.drawString(label, x1 + 1, Math.max(oy + g.getFontMetrics().getAscent(), ty));
        }
    }

    /** {@link #draw} written as a PNG file (its directories created). */
    public static void write(Path file, BufferedImage picture) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ImageIO.write(picture, "png", file.toFile());
    }
}
