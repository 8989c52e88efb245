package org.focaldl4j.detection;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Ground truth and detections in the COCO JSON formats, so that {@link CocoEvaluator}'s numbers can be
 * checked with pycocotools:
 * <ul>
 *   <li>ground truth: {@code {"images": [{id, width, height}], "annotations": [{id, image_id,
 *       category_id, bbox: [x, y, w, h], area, iscrowd}], "categories": [{id, name}]}};</li>
 *   <li>results: {@code [{image_id, category_id, bbox: [x, y, w, h], score}]}.</li>
 * </ul>
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

    /** One detection in COCO's results format. */
    public record Result(long imageId, long categoryId, double[] bbox, double score) {
        public Result {
            bbox = checkedBox(bbox, "the result on image " + imageId);
            if (Double.isNaN(score)) {
                throw new IllegalArgumentException("the score of a result on image " + imageId + " is NaN");
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

    private static double[] checkedBox(double[] xywh, String what) {
        if (xywh == null || xywh.length != 4 || !Double.isFinite(xywh[0] + xywh[1] + xywh[2] + xywh[3])
                || !(xywh[2] >= 0) || !(xywh[3] >= 0)) {
            throw new IllegalArgumentException(what + " must be a finite [x, y, w, h] with w, h >= 0; got "
                    + Arrays.toString(xywh));
        }
        return xywh.clone();
    }

    // ------------------------------------------------------------------------------------------
    // JSON
    // ------------------------------------------------------------------------------------------

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Reads a COCO ground-truth file (other fields, e.g. segmentations, are not used). */
    public static CocoDataset read(Path file) throws IOException {
        return fromJson(MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8)), file.toString());
    }

    /** Parses COCO ground truth from a JSON tree; {@code where} names the source in messages. */
    public static CocoDataset fromJson(JsonNode root, String where) {
        List<Image> images = new ArrayList<>();
        for (JsonNode n : array(root, "images", where)) {
            images.add(new Image(longField(n, "id", where), intField(n, "width", where), intField(n, "height", where)));
        }
        List<Category> categories = new ArrayList<>();
        for (JsonNode n : array(root, "categories", where)) {
            JsonNode name = n.get("name");
            if (name == null || !name.isTextual()) {
                throw new IllegalArgumentException(where + " (" + n + "): \"name\" must be a string; got " + name);
            }
            categories.add(new Category(longField(n, "id", where), name.asText()));
        }
        List<Annotation> annotations = new ArrayList<>();
        for (JsonNode n : array(root, "annotations", where)) {
            long id = longField(n, "id", where);
            double[] bbox = box(n, where);
            JsonNode area = n.get("area");
            JsonNode crowd = n.get("iscrowd");
            // "area" and "iscrowd" are required: COCOeval reads both (and pycocotools fails without them).
            annotations.add(new Annotation(id, longField(n, "image_id", where), longField(n, "category_id", where),
                    bbox, number(area, "area", where + " (annotation " + id + ")"),
                    longValue(crowd, "iscrowd", where + " (annotation " + id + ")") != 0));
        }
        return new CocoDataset(images, annotations, categories);
    }

    /** Reads a COCO results file: a JSON array of {image_id, category_id, bbox, score}. */
    public static List<Result> readResults(Path file) throws IOException {
        JsonNode root = MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
        if (!root.isArray()) {
            throw new IllegalArgumentException(file + ": a COCO results file is a JSON array");
        }
        List<Result> out = new ArrayList<>();
        for (JsonNode n : root) {
            out.add(new Result(longField(n, "image_id", file.toString()), longField(n, "category_id", file.toString()),
                    box(n, file.toString()), number(n.get("score"), "score", file.toString())));
        }
        return out;
    }

    /** This ground truth as COCO JSON. */
    public String toJson() {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode is = root.putArray("images");
        for (Image i : images) {
            is.addObject().put("id", i.id()).put("width", i.width()).put("height", i.height());
        }
        ArrayNode as = root.putArray("annotations");
        for (Annotation a : annotations) {
            ObjectNode o = as.addObject().put("id", a.id()).put("image_id", a.imageId()).put("category_id", a.categoryId());
            ArrayNode b = o.putArray("bbox");
            for (double v : a.bbox) {
                b.add(v);
            }
            o.put("area", a.area()).put("iscrowd", a.crowd() ? 1 : 0);
        }
        ArrayNode cs = root.putArray("categories");
        for (Category c : categories) {
            cs.addObject().put("id", c.id()).put("name", c.name());
        }
        try {
            return MAPPER.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Results as a COCO results JSON array. */
    public static String resultsToJson(List<Result> results) {
        ArrayNode root = MAPPER.createArrayNode();
        for (Result r : results) {
            ObjectNode o = root.addObject().put("image_id", r.imageId()).put("category_id", r.categoryId());
            ArrayNode b = o.putArray("bbox");
            for (double v : r.bbox) {
                b.add(v);
            }
            o.put("score", r.score());
        }
        try {
            return MAPPER.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ids of {@link #images()}, mapped to their image records, in list order. */
    Map<Long, Image> imagesById() {
        Map<Long, Image> m = new LinkedHashMap<>();
        images.forEach(i -> m.put(i.id(), i));
        return m;
    }

    private static Iterable<JsonNode> array(JsonNode root, String field, String where) {
        JsonNode a = root == null ? null : root.get(field);
        if (a == null || !a.isArray()) {
            throw new IllegalArgumentException(where + ": COCO ground truth needs an array \"" + field + "\"");
        }
        return a;
    }

    private static double[] box(JsonNode n, String where) {
        JsonNode b = n.get("bbox");
        if (b == null || !b.isArray() || b.size() != 4) {
            throw new IllegalArgumentException(where + ": \"bbox\" must be [x, y, w, h]; got " + b + " in " + n);
        }
        double[] out = new double[4];
        for (int i = 0; i < 4; i++) {
            out[i] = number(b.get(i), "bbox[" + i + "]", where);
        }
        return out;
    }

    private static int intField(JsonNode n, String field, String where) {
        long v = longField(n, field, where);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a positive int; got " + v);
        }
        return (int) v;
    }

    private static long longField(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        // The message names the whole object, which is costly to print: only made when the value is refused.
        return isLong(v) ? v.asLong() : longValue(v, field, where + " (" + n + ")");
    }

    private static boolean isLong(JsonNode v) {
        return v != null && v.isIntegralNumber() && v.canConvertToLong();
    }

    private static long longValue(JsonNode v, String field, String where) {
        if (!isLong(v)) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be an integer of 64 bits; got " + v);
        }
        return v.asLong();
    }

    private static double number(JsonNode v, String field, String where) {
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a number; got " + v);
        }
        return v.asDouble();
    }
}
