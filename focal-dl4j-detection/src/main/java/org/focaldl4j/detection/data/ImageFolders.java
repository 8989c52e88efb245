package org.focaldl4j.detection.data;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes an in-memory {@link DetectionImages} as a folder {@link LabelledImages} reads back: {@link #writeCoco} (an
 * {@code images/} folder of PNG files and {@code annotations.json}) or {@link #writeVoc} ({@code JPEGImages/} — PNG
 * files, as VOC's {@code <filename>} allows —, {@code Annotations/*.xml}, {@code ImageSets/Main/<set>.txt}).
 * Image i is {@code <i + 1, six digits>.png}, COCO image id i + 1; class k is category k + 1 named
 * {@code classNames[k]} (read back from VOC, categories are numbered in sorted name order: the same classes when
 * the names are sorted). PNG holds 8 bits per sample, so each pixel is written as round(255·v) of its value v in
 * [0, 1] (values outside are refused): the folder reads back exactly as {@link #quantised} of the dataset. VOC's
 * 1-based corners are written as {x1 + 1, y1 + 1, x2, y2}, which reads back exactly for integral boxes.
 */
public final class ImageFolders {

    private ImageFolders() {
    }

    /** Writes {@code data} as a COCO folder in {@code folder} (created; must not exist yet). */
    public static void writeCoco(DetectionImages data, List<String> classNames, Path folder) throws IOException {
        CocoDataset truth = CocoDataset.of(data, classNames);
        create(folder);
        List<String> names = writePngs(data, folder.resolve("images"));
        Files.writeString(folder.resolve("annotations.json"), CocoJson.write(truth, names), StandardCharsets.UTF_8);
    }

    /** Writes {@code data} as a VOC folder with image set {@code imageSet} in {@code folder} (created; must not exist). */
    public static void writeVoc(DetectionImages data, List<String> classNames, String imageSet, Path folder)
            throws IOException {
        CocoDataset.of(data, classNames);                          // validates the names
        if (imageSet == null || !imageSet.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("the image set name must be letters, digits, '_', '.' or '-'; got "
                    + imageSet);
        }
        create(folder);
        List<String> names = writePngs(data, folder.resolve("JPEGImages"));
        Path annotations = Files.createDirectories(folder.resolve("Annotations"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            String id = names.get(i).substring(0, names.get(i).length() - ".png".length());
            ids.add(id);
            StringBuilder xml = new StringBuilder("<annotation>\n  <folder>JPEGImages</folder>\n  <filename>")
                    .append(names.get(i)).append("</filename>\n  <size><width>").append(data.width())
                    .append("</width><height>").append(data.height()).append("</height><depth>")
                    .append(data.channels()).append("</depth></size>\n");
            double[][] boxes = data.boxes(i);
            int[] classes = data.classes(i);
            for (int b = 0; b < boxes.length; b++) {
                xml.append("  <object><name>").append(escape(classNames.get(classes[b])))
                        .append("</name><difficult>0</difficult><bndbox>")
                        .append(String.format(Locale.ROOT, "<xmin>%s</xmin><ymin>%s</ymin><xmax>%s</xmax><ymax>%s</ymax>",
                                boxes[b][0] + 1, boxes[b][1] + 1, boxes[b][2], boxes[b][3]))
                        .append("</bndbox></object>\n");
            }
            xml.append("</annotation>\n");
            Files.writeString(annotations.resolve(id + ".xml"), xml, StandardCharsets.UTF_8);
        }
        Path sets = Files.createDirectories(folder.resolve("ImageSets").resolve("Main"));
        Files.writeString(sets.resolve(imageSet + ".txt"), String.join("\n", ids) + "\n", StandardCharsets.UTF_8);
    }

    /** {@code data} with every pixel v replaced by round(255·v)/255, as the folders hold it. */
    public static DetectionImages quantised(DetectionImages data) {
        INDArray images = data.images(0, data.size());
        float[] v = images.data().asFloat();
        for (int p = 0; p < v.length; p++) {
            v[p] = level(v[p], p) / 255f;
        }
        double[][][] boxes = new double[data.size()][][];
        int[][] classes = new int[data.size()][];
        for (int i = 0; i < data.size(); i++) {
            boxes[i] = data.boxes(i);
            classes[i] = data.classes(i);
        }
        return new DetectionImages(org.nd4j.linalg.factory.Nd4j.create(v, images.shape(), 'c'), boxes, classes,
                data.numClasses());
    }

    private static int level(float v, int index) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException("pixel values must lie in [0, 1] to be written as PNG; got " + v
                    + " at flat index " + index);
        }
        return Math.round(v * 255f);
    }

    private static void create(Path folder) throws IOException {
        if (folder == null) {
            throw new IllegalArgumentException("need a folder to write to; got null");
        }
        if (Files.exists(folder)) {
            throw new IOException(folder + " exists already; give a new folder");
        }
        Files.createDirectories(folder);
    }

    private static List<String> writePngs(DetectionImages data, Path folder) throws IOException {
        Files.createDirectories(folder);
        int c = data.channels();
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("only grey (1 channel) or RGB (3) images can be written; got " + c);
        }
        int h = data.height();
        int w = data.width();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            float[] v = data.images(i, i + 1).data().asFloat();
            BufferedImage image = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY
                    : BufferedImage.TYPE_3BYTE_BGR);
            WritableRaster raster = image.getRaster();
            for (int band = 0; band < c; band++) {
                int[] samples = new int[h * w];
                for (int p = 0; p < h * w; p++) {
                    samples[p] = level(v[band * h * w + p], i * c * h * w + band * h * w + p);
                }
                raster.setSamples(0, 0, w, h, band, samples);
            }
            String name = String.format(Locale.ROOT, "%06d.png", i + 1);
            if (!ImageIO.write(image, "png", folder.resolve(name).toFile())) {
                throw new IOException("no PNG writer in this JDK");
            }
            names.add(name);
        }
        return names;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
