package org.focaldl4j.detection.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.data.CocoDataset.Annotation;
import org.focaldl4j.detection.data.CocoDataset.Category;
import org.focaldl4j.detection.data.CocoDataset.Image;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * A labelled dataset on disk: image files and their ground truth, read from a COCO folder ({@link #readCoco}) or a
 * Pascal VOC folder ({@link #readVoc}). The ground truth is held as COCO holds it ({@link #groundTruth()}, which the
 * evaluator reads); for training, image i has
 * <ul>
 *   <li>{@link #boxes}: its non-crowd boxes {x1, y1, x2, y2} in pixels, each of positive width and height inside
 *       the image, and {@link #classes}: the class index of each, where class k is {@code categories().get(k)};</li>
 *   <li>{@link #crowdRegions}: its crowd boxes (COCO {@code iscrowd}), regions where anchors are neither positive
 *       nor negative.</li>
 * </ul>
 * Everything but the pixels is checked when read: each image's file exists inside the image folder, no two images
 * share a file, and its header has the width and height the annotations give; ids are unique; every annotation
 * names a listed image and category. {@link #checkPixels} decodes every image once, to find a broken file before
 * training rather than when its batch is made. Refusals name the file and the annotation (docs/bad-input.md, rows
 * D). Pixels are decoded only when asked for, so the dataset never holds the images in memory. Immutable.
 */
public final class LabelledImages {

    private final CocoDataset truth;
    private final List<Path> files;
    private final double[][][] boxes;
    private final int[][] classes;
    private final double[][][] crowd;
    private final List<Long> dropped;

    /** What a COCO reader does with a box of zero width or height. */
    public enum EmptyBoxes {
        /** Refuse the dataset (row D08). */
        REFUSE,
        /** Leave the annotation out of training and list its id in {@link #droppedAnnotations()}. */
        DROP
    }

    /**
     * @param truth      the ground truth
     * @param files      the file of each of {@code truth.images()}, in the same order, already resolved
     * @param where      the annotations' file or folder, for messages
     * @param annotation where annotation {@code id} was read, for messages
     */
    LabelledImages(CocoDataset truth, List<Path> files, String where, LongFunction<String> annotation,
                   EmptyBoxes empty) throws IOException {
        if (truth.images().isEmpty() || truth.categories().isEmpty()) {
            throw new IllegalArgumentException(where + ": a dataset needs at least one image and one category; got "
                    + truth.images().size() + " images and " + truth.categories().size() + " categories");
        }
        this.truth = truth;
        this.files = List.copyOf(files);
        int n = truth.images().size();
        Map<Long, Integer> indexOfImage = new HashMap<>();
        Map<Path, Long> imageOfFile = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Image image = truth.images().get(i);
            indexOfImage.put(image.id(), i);
            Long other = imageOfFile.putIfAbsent(this.files.get(i), image.id());
            if (other != null) {
                throw new IllegalArgumentException(where + ": images " + other + " and " + image.id() + " are both "
                        + this.files.get(i));
            }
            int[] size;
            try {
                size = ImageFiles.size(this.files.get(i));
            } catch (IOException e) {
                throw new IOException(where + ": image " + image.id() + ": " + e.getMessage(), e);
            }
            if (size[0] != image.width() || size[1] != image.height()) {
                throw new IllegalArgumentException(where + ": image " + image.id() + " (" + this.files.get(i) + ") is "
                        + size[0] + "×" + size[1] + " pixels, but its annotation says " + image.width() + "×"
                        + image.height());
            }
        }
        Map<Long, Integer> classOfCategory = new HashMap<>();
        for (Category c : truth.categories()) {
            classOfCategory.put(c.id(), classOfCategory.size());
        }
        List<List<double[]>> objectBoxes = new ArrayList<>();
        List<List<Integer>> objectClasses = new ArrayList<>();
        List<List<double[]>> crowdBoxes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            objectBoxes.add(new ArrayList<>());
            objectClasses.add(new ArrayList<>());
            crowdBoxes.add(new ArrayList<>());
        }
        List<Long> droppedIds = new ArrayList<>();
        for (Annotation a : truth.annotations()) {
            int i = indexOfImage.get(a.imageId());
            Image image = truth.images().get(i);
            double[] corners = CocoDataset.toCorners(a.bbox());
            if (empty == EmptyBoxes.DROP && (a.bbox()[2] == 0 || a.bbox()[3] == 0) && corners[0] >= 0
                    && corners[1] >= 0 && corners[2] <= image.width() && corners[3] <= image.height()) {
                droppedIds.add(a.id());
                continue;
            }
            if (!(corners[2] > corners[0]) || !(corners[3] > corners[1]) || corners[0] < 0 || corners[1] < 0
                    || corners[2] > image.width() || corners[3] > image.height()) {
                throw new IllegalArgumentException(annotation.apply(a.id()) + " has bbox [x, y, w, h] = "
                        + Arrays.toString(a.bbox()) + ", which is not a box of positive width and height inside the "
                        + image.width() + "×" + image.height() + " image (boxes are refused, not clipped)");
            }
            if (a.crowd()) {
                crowdBoxes.get(i).add(corners);
            } else {
                objectBoxes.get(i).add(corners);
                objectClasses.get(i).add(classOfCategory.get(a.categoryId()));
            }
        }
        this.dropped = List.copyOf(droppedIds);
        this.boxes = new double[n][][];
        this.classes = new int[n][];
        this.crowd = new double[n][][];
        for (int i = 0; i < n; i++) {
            boxes[i] = objectBoxes.get(i).toArray(new double[0][]);
            classes[i] = objectClasses.get(i).stream().mapToInt(Integer::intValue).toArray();
            crowd[i] = crowdBoxes.get(i).toArray(new double[0][]);
        }
    }

    /**
     * Reads a COCO folder: {@code annotations}, a COCO ground-truth JSON whose images each carry a {@code file_name}
     * relative to {@code imageFolder}. Class k is the k-th category in the file's order.
     */
    public static LabelledImages readCoco(Path imageFolder, Path annotations) throws IOException {
        return CocoFolder.read(imageFolder, annotations, EmptyBoxes.REFUSE);
    }

    /**
     * {@link #readCoco(Path, Path)}, with boxes of zero width or height inside their image dropped from training when
     * {@code empty} is {@link EmptyBoxes#DROP} (COCO's own train2017 file has two), their ids listed in
     * {@link #droppedAnnotations()}; the ground truth keeps them.
     */
    public static LabelledImages readCoco(Path imageFolder, Path annotations, EmptyBoxes empty) throws IOException {
        if (empty == null) {
            throw new IllegalArgumentException("readCoco needs an EmptyBoxes policy; got null");
        }
        return CocoFolder.read(imageFolder, annotations, empty);
    }

    /** The ids of the annotations {@link EmptyBoxes#DROP} left out of training, in file order. */
    public List<Long> droppedAnnotations() {
        return dropped;
    }

    /**
     * Reads a Pascal VOC folder: the images listed in {@code root/ImageSets/Main/<imageSet>.txt}, each with its
     * {@code root/Annotations/<id>.xml}, whose {@code <filename>} names the image in {@code root/JPEGImages}.
     * Categories are the object names found, sorted, with ids 1…K.
     */
    public static LabelledImages readVoc(Path root, String imageSet) throws IOException {
        return VocFolder.read(root, imageSet);
    }

    /** The ground truth as COCO holds it (image, annotation and category ids as read). */
    public CocoDataset groundTruth() {
        return truth;
    }

    /** The categories; class k is {@code categories().get(k)}. */
    public List<Category> categories() {
        return truth.categories();
    }

    public int size() {
        return files.size();
    }

    /** Image i's record: its COCO id, width and height. */
    public Image image(int i) {
        return truth.images().get(check(i));
    }

    /** Image i's file. */
    public Path file(int i) {
        return files.get(check(i));
    }

    /** Image i's non-crowd boxes {x1, y1, x2, y2}, pixels (copies). */
    public double[][] boxes(int i) {
        return deepCopy(boxes[check(i)]);
    }

    /** The class index of each of {@link #boxes}(i) (a copy). */
    public int[] classes(int i) {
        return classes[check(i)].clone();
    }

    /** Image i's crowd regions {x1, y1, x2, y2}, pixels (copies). */
    public double[][] crowdRegions(int i) {
        return deepCopy(crowd[check(i)]);
    }

    /**
     * Batches for a network that trains on {@code targets.imageWidth()}² inputs: each image decoded, letterboxed
     * ({@link Letterbox}) and given its {@link AnchorTargets#batch} targets (crowd regions ignored), on background
     * threads ({@link Streaming}); the layout of {@link DetectionImages#iterator}. Only the batches in flight are held
     * in memory. An image that cannot be decoded when its batch is made ends {@code next()} with an
     * {@link java.io.UncheckedIOException} naming the file.
     *
     * @param targets the detector's targets ({@code RetinaNet.targets()}), for square inputs and this dataset's classes
     */
    public MultiDataSetIterator iterator(AnchorTargets targets, Streaming how) {
        if (targets == null || how == null) {
            throw new IllegalArgumentException("iterator needs anchor targets and streaming settings; got " + targets
                    + ", " + how);
        }
        if (targets.imageHeight() != targets.imageWidth() || targets.numClasses() != categories().size()) {
            throw new IllegalArgumentException("the targets are for " + targets.imageHeight() + "×"
                    + targets.imageWidth() + " images of " + targets.numClasses() + " classes; streaming needs square "
                    + "letterboxed inputs of this dataset's " + categories().size() + " classes");
        }
        return new FolderIterator(this, targets, how);
    }

    /**
     * Decodes every image once as a network of {@code channels} reads it (the checks of {@link ImageFiles#decode}),
     * holding one at a time; the first that fails is refused naming the image's id and file. Costs one decode per
     * image.
     */
    public void checkPixels(int channels) throws IOException {
        for (int i = 0; i < files.size(); i++) {
            try {
                ImageFiles.decode(files.get(i), channels);
            } catch (IOException e) {
                throw new IOException("image " + image(i).id() + ": " + e.getMessage(), e);
            }
        }
    }

    /** Image i's pixels, decoded now: [channels, H, W] in [0, 1] ({@link ImageFiles#decode}). */
    public float[] pixels(int i, int channels) throws IOException {
        return ImageFiles.decode(files.get(check(i)), channels);
    }

    private int check(int i) {
        if (i < 0 || i >= files.size()) {
            throw new IllegalArgumentException("image index " + i + " is outside [0, " + files.size() + ")");
        }
        return i;
    }

    private static double[][] deepCopy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int k = 0; k < a.length; k++) {
            out[k] = a[k].clone();
        }
        return out;
    }

    @Override
    public String toString() {
        return "LabelledImages(" + files.size() + " images, " + truth.annotations().size() + " annotations, "
                + truth.categories().size() + " categories)";
    }
}
