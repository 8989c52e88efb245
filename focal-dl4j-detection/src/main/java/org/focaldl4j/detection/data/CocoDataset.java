package org.focaldl4j.detection.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.box.Detection;

/**
 * Ground truth and detections as COCO holds them (read and written by {@link CocoJson}), so that
 * {@code CocoEvaluator}'s numbers can be checked with pycocotools.
 * Boxes are [x, y, width, height] in pixels (COCO's convention; {@link #toCorners} and {@link #fromCorners}
 * convert to and from {x1, y1, x2, y2}). Every value is validated when it is made or read. Immutable.
 */
public final class CocoDataset {

    /** One image: id, width, height. */
    public record Image(long id, int width, int height) {
        public Image {
            if (width < 1 || height < 1) {
                throw new IllegalArgumentException("image " + id + " must have width and height >= 1; got " + width
                        + "×" + height);
            }
        }
    }

    /** One category: id and name. */
    public record Category(long id, String name) {
        public Category {
            if (name == null) {
                throw new IllegalArgumentException("category " + id + " needs a name");
            }
        }
    }

    /**
     * One ground-truth annotation. {@code area} is COCO's field (for boxes normally w·h; for crowd regions
     * the segment's area): the evaluation's area ranges read it. {@code id} must not be 0.
     */
    public record Annotation(long id, long imageId, long categoryId, double[] bbox, double area, boolean crowd) {
        public Annotation {
            if (id == 0) {
                throw new IllegalArgumentException("annotation ids must not be 0 (COCOeval reads 0 as 'unmatched')");
            }
            bbox = checkedBox(bbox, "annotation " + id);
            if (!(area >= 0) || Double.isInfinite(area)) {
                throw new IllegalArgumentException("annotation " + id + " must have a finite area >= 0; got " + area);
            }
        }

        @Override
        public double[] bbox() {
            return bbox.clone();
        }

        /** A non-crowd box annotation with area w·h. */
        public static Annotation box(long id, long imageId, long categoryId, double[] bbox) {
            double[] b = checkedBox(bbox, "annotation " + id);
            return new Annotation(id, imageId, categoryId, b, b[2] * b[3], false);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Annotation a && id == a.id && imageId == a.imageId && categoryId == a.categoryId
                    && Arrays.equals(bbox, a.bbox) && Double.compare(area, a.area) == 0 && crowd == a.crowd;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(id) * 31 + Arrays.hashCode(bbox);
        }

        @Override
        public String toString() {
            return "Annotation(id=" + id + ", image=" + imageId + ", category=" + categoryId + ", bbox="
                    + Arrays.toString(bbox) + ", area=" + area + (crowd ? ", crowd" : "") + ")";
        }
    }

    /** One detection in COCO's results format: a finite box [x, y, w, h] (as annotations) and a finite score. */
    public record Result(long imageId, long categoryId, double[] bbox, double score) {
        public Result {
            bbox = checkedBox(bbox, "the result on image " + imageId);
            if (!Double.isFinite(score)) {
                // ±∞ would be written as a string that no results reader (ours, pycocotools') accepts
                throw new IllegalArgumentException("the score of a result on image " + imageId + " (category "
                        + categoryId + ") must be finite; got " + score);
            }
        }

        @Override
        public double[] bbox() {
            return bbox.clone();
        }

        /** A {@link Detection} as a result, with the image and category ids it maps to. */
        public static Result of(Detection d, long imageId, long categoryId) {
            return new Result(imageId, categoryId, fromCorners(d.box()), d.score());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && imageId == r.imageId && categoryId == r.categoryId
                    && Arrays.equals(bbox, r.bbox) && Double.compare(score, r.score) == 0;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(imageId) * 31 + Arrays.hashCode(bbox);
        }

        @Override
        public String toString() {
            return "Result(image=" + imageId + ", category=" + categoryId + ", bbox=" + Arrays.toString(bbox)
                    + ", score=" + score + ")";
        }
    }

    private final List<Image> images;
    private final List<Annotation> annotations;
    private final List<Category> categories;

    /** Validates that ids are unique and that every annotation names a listed image and category. */
    public CocoDataset(List<Image> images, List<Annotation> annotations, List<Category> categories) {
        if (images == null || annotations == null || categories == null
                || images.stream().anyMatch(java.util.Objects::isNull)
                || annotations.stream().anyMatch(java.util.Objects::isNull)
                || categories.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("a COCO dataset needs lists of images, annotations and categories "
                    + "without null entries");
        }
        this.images = List.copyOf(images);
        this.annotations = List.copyOf(annotations);
        this.categories = List.copyOf(categories);
        Set<Long> imageIds = new HashSet<>();
        for (Image i : this.images) {
            if (!imageIds.add(i.id())) {
                throw new IllegalArgumentException("image id " + i.id() + " appears twice");
            }
        }
        Set<Long> categoryIds = new HashSet<>();
        for (Category c : this.categories) {
            if (!categoryIds.add(c.id())) {
                throw new IllegalArgumentException("category id " + c.id() + " appears twice");
            }
        }
        Set<Long> annotationIds = new HashSet<>();
        for (Annotation a : this.annotations) {
            if (!annotationIds.add(a.id())) {
                throw new IllegalArgumentException("annotation id " + a.id() + " appears twice");
            }
            if (!imageIds.contains(a.imageId())) {
                throw new IllegalArgumentException("annotation " + a.id() + " refers to image " + a.imageId()
                        + ", which is not in the images");
            }
            if (!categoryIds.contains(a.categoryId())) {
                throw new IllegalArgumentException("annotation " + a.id() + " refers to category " + a.categoryId()
                        + ", which is not in the categories");
            }
        }
    }

    public List<Image> images() {
        return images;
    }

    public List<Annotation> annotations() {
        return annotations;
    }

    public List<Category> categories() {
        return categories;
    }

    /**
     * The ground truth of {@code data} as COCO: image ids 1…N (image i has id i + 1), category ids 1…K (class k has id
     * k + 1, named {@code classNames[k]}), non-crowd box annotations with area w·h.
     */
    public static CocoDataset of(DetectionImages data, List<String> classNames) {
        if (data == null || classNames == null || classNames.size() != data.numClasses()) {
            throw new IllegalArgumentException("need a dataset and its " + (data == null ? "" : data.numClasses() + " ")
                    + "class names; got " + (data == null ? "no dataset" : "a dataset") + " and " + classNames);
        }
        int numClasses = data.numClasses();
        List<Image> is = new ArrayList<>();
        List<Annotation> as = new ArrayList<>();
        List<Category> cs = new ArrayList<>();
        for (int k = 0; k < numClasses; k++) {
            cs.add(new Category(k + 1, classNames.get(k)));
        }
        long id = 1;
        for (int i = 0; i < data.size(); i++) {
            is.add(new Image(i + 1, data.width(), data.height()));
            double[][] boxes = data.boxesOf(i, i + 1)[0];
            int[] classes = data.classesOf(i, i + 1)[0];
            for (int b = 0; b < boxes.length; b++) {
                as.add(Annotation.box(id++, i + 1, classes[b] + 1, fromCorners(boxes[b])));
            }
        }
        return new CocoDataset(is, as, cs);
    }

    /**
     * Detections of images 0…N−1 as COCO results, with the ids of {@link #of}: list i holds the detections
     * of image i, whose {@link Detection#image()} must be i (detections of a batch that started at image s have
     * image indices from 0 and must be renumbered by s first).
     */
    public static List<Result> results(List<List<Detection>> perImage) {
        if (perImage == null) {
            throw new IllegalArgumentException("results needs a list of detections per image");
        }
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < perImage.size(); i++) {
            List<Detection> image = perImage.get(i);
            int nullAt = firstNull(image);
            if (image == null || nullAt >= 0) {
                throw new IllegalArgumentException("results needs a list of detections for each image, without null; "
                        + "image " + i + " has " + (image == null ? "null" : "a null at index " + nullAt));
            }
            for (Detection d : image) {
                if (d.image() != i) {
                    throw new IllegalArgumentException("list " + i + " holds a detection of image " + d.image()
                            + "; renumber the detections of a batch by its first image index");
                }
                out.add(Result.of(d, i + 1L, d.classIndex() + 1L));
            }
        }
        return out;
    }

    /** The index of the first null element of {@code list} (which may be immutable), or −1. */
    static int firstNull(List<?> list) {
        for (int k = 0; list != null && k < list.size(); k++) {
            if (list.get(k) == null) {
                return k;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------------------------------
    // Boxes
    // ------------------------------------------------------------------------------------------

    /** [x, y, w, h] → {x1, y1, x2, y2}. */
    public static double[] toCorners(double[] xywh) {
        double[] b = checkedBox(xywh, "the box");
        return new double[] {b[0], b[1], b[0] + b[2], b[1] + b[3]};
    }

    /** {x1, y1, x2, y2} → [x, y, w, h]. */
    public static double[] fromCorners(double[] corners) {
        double[] c = Boxes.checked(corners, "the box");
        return new double[] {c[0], c[1], c[2] - c[0], c[3] - c[1]};
    }

    /**
     * A copy of {@code xywh} when each value is finite, w, h ≥ 0 and the far corner x + w, y + h is finite too (the
     * evaluation and {@link #toCorners} use it); each value is tested on its own, so no sum overflows.
     */
    private static double[] checkedBox(double[] xywh, String what) {
        if (xywh == null || xywh.length != 4 || !Double.isFinite(xywh[0]) || !Double.isFinite(xywh[1])
                || !Double.isFinite(xywh[2]) || !Double.isFinite(xywh[3]) || !(xywh[2] >= 0) || !(xywh[3] >= 0)) {
            throw new IllegalArgumentException(what + " must be a finite [x, y, w, h] with w, h >= 0; got "
                    + Arrays.toString(xywh));
        }
        if (!Double.isFinite(xywh[0] + xywh[2]) || !Double.isFinite(xywh[1] + xywh[3])) {
            throw new IllegalArgumentException(what + " must have a finite far corner (x + w, y + h); got "
                    + Arrays.toString(xywh) + ", whose x + w = " + (xywh[0] + xywh[2]) + ", y + h = "
                    + (xywh[1] + xywh[3]));
        }
        return xywh.clone();
    }

    /** The ids of {@link #images()}, mapped to their image records, in list order. */
    Map<Long, Image> imagesById() {
        Map<Long, Image> m = new LinkedHashMap<>();
        images.forEach(i -> m.put(i.id(), i));
        return m;
    }
}
