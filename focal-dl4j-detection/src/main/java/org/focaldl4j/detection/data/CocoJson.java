package org.focaldl4j.detection.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.focaldl4j.detection.data.CocoDataset.Annotation;
import org.focaldl4j.detection.data.CocoDataset.Category;
import org.focaldl4j.detection.data.CocoDataset.Image;
import org.focaldl4j.detection.data.CocoDataset.Result;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * {@link CocoDataset}'s JSON formats, read and written as pycocotools does:
 * <ul>
 *   <li>ground truth: {@code {"images": [{id, width, height}], "annotations": [{id, image_id,
 *       category_id, bbox: [x, y, w, h], area, iscrowd}], "categories": [{id, name}]}};</li>
 *   <li>results: {@code [{image_id, category_id, bbox: [x, y, w, h], score}]}.</li>
 * </ul>
 * Every value read is validated; a refusal names the file (or source) and the offending object. Where an integer is
 * expected (ids, {@code width}, {@code height}, {@code iscrowd}), an integral number written as a decimal
 * ({@code 640.0}, as Python writes floats) is accepted up to 2^53, as pycocotools accepts it; {@code 640.5} is refused.
 */
public final class CocoJson {

    private CocoJson() {
    }

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Deepest nesting of arrays and objects read (COCO needs 5, for polygon segmentations). */
    static final int MAX_DEPTH = 64;

    /** Reads a COCO ground-truth file (other fields, e.g. segmentations, are not used). */
    public static CocoDataset read(Path file) throws IOException {
        return fromJson(parse(file), file.toString());
    }

    /**
     * A file's one JSON value: content after it, or nesting deeper than {@value #MAX_DEPTH} (which would overflow
     * the parser's stack), is refused with the file's name.
     */
    static JsonNode parse(Path file) throws IOException {
        if (file == null || !Files.isRegularFile(file)) {
            throw new IOException(file + ": no such JSON file");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 text (JSON files are UTF-8)", e);
        }
        int depth = 0;
        boolean inString = false;
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (inString) {
                if (c == '\\') {
                    k++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if ((c == '[' || c == '{') && ++depth > MAX_DEPTH) {
                throw new IOException(file + ": JSON nested deeper than " + MAX_DEPTH + " levels (at character " + k
                        + "); COCO files need 5");
            } else if (c == ']' || c == '}') {
                depth--;
            }
        }
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not one JSON value (" + e.getOriginalMessage() + ")", e);
        }
    }

    /** Parses COCO ground truth from a JSON tree; {@code where} names the source in messages. */
    public static CocoDataset fromJson(JsonNode root, String where) {
        try {
            return groundTruth(root, where);
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(where) ? e
                    : new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static CocoDataset groundTruth(JsonNode root, String where) {
        List<Image> images = new ArrayList<>();
        for (JsonNode n : array(root, "images", where)) {
            images.add(new Image(longField(n, "id", where), intField(n, "width", where), intField(n, "height", where)));
        }
        List<Category> categories = new ArrayList<>();
        for (JsonNode n : array(root, "categories", where)) {
            JsonNode name = n.get("name");
            if (name == null || !name.isTextual()) {
                throw new IllegalArgumentException(where + " (" + brief(n) + "): \"name\" must be a string; got " + name);
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
                    crowd(crowd, where + " (annotation " + id + ")")));
        }
        return new CocoDataset(images, annotations, categories);
    }

    /** Reads a COCO results file: a JSON array of {image_id, category_id, bbox, score}. */
    public static List<Result> readResults(Path file) throws IOException {
        JsonNode root = parse(file);
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

    /** {@code dataset} as COCO ground-truth JSON. */
    public static String write(CocoDataset dataset) {
        return write(dataset, null);
    }

    /** {@code dataset} as COCO ground truth, image i with {@code "file_name": fileNames.get(i)} unless null. */
    static String write(CocoDataset dataset, List<String> fileNames) {
        if (dataset == null) {
            throw new IllegalArgumentException("write needs a COCO dataset; got null");
        }
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode is = root.putArray("images");
        for (int k = 0; k < dataset.images().size(); k++) {
            Image i = dataset.images().get(k);
            ObjectNode o = is.addObject().put("id", i.id()).put("width", i.width()).put("height", i.height());
            if (fileNames != null) {
                o.put("file_name", fileNames.get(k));
            }
        }
        ArrayNode as = root.putArray("annotations");
        for (Annotation a : dataset.annotations()) {
            ObjectNode o = as.addObject().put("id", a.id()).put("image_id", a.imageId()).put("category_id", a.categoryId());
            ArrayNode b = o.putArray("bbox");
            for (double v : a.bbox()) {
                b.add(v);
            }
            o.put("area", a.area()).put("iscrowd", a.crowd() ? 1 : 0);
        }
        ArrayNode cs = root.putArray("categories");
        for (Category c : dataset.categories()) {
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
        int nullAt = CocoDataset.firstNull(results);
        if (results == null || nullAt >= 0) {
            throw new IllegalArgumentException("resultsToJson needs a list of results without null; got "
                    + (results == null ? "null" : "a null at index " + nullAt));
        }
        ArrayNode root = MAPPER.createArrayNode();
        for (Result r : results) {
            ObjectNode o = root.addObject().put("image_id", r.imageId()).put("category_id", r.categoryId());
            ArrayNode b = o.putArray("bbox");
            for (double v : r.bbox()) {
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
            throw new IllegalArgumentException(where + ": \"bbox\" must be [x, y, w, h]; got " + b + " in " + brief(n));
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
        return isLong(v) ? integral(v) : longValue(v, field, where + " (" + brief(n) + ")");
    }

    /** {@code iscrowd}: 0 or 1 (also 0.0 or 1.0, as any integer), or false or true. */
    private static boolean crowd(JsonNode v, String where) {
        if (v != null && v.isBoolean()) {
            return v.asBoolean();
        }
        if (isLong(v) && (integral(v) == 0 || integral(v) == 1)) {
            return integral(v) == 1;
        }
        throw new IllegalArgumentException(where + ": \"iscrowd\" must be 0, 1, false or true; got " + v);
    }

    /** A JSON object's text for a message, cut at 200 characters (a segmentation can be long). */
    static String brief(JsonNode n) {
        String t = String.valueOf(n);
        return t.length() <= 200 ? t : t.substring(0, 200) + "…";
    }

    /** Integers of up to 2^53 are exact in a double: 640.0 is read as 640, as Python reads it where it needs an int. */
    private static final double EXACT = 0x1p53;

    /**
     * Whether {@code v} is an integer of 64 bits: an integral JSON number, or one written with a fraction or an
     * exponent whose value read as a double (as pycocotools reads it) is an integer below 2^53 in magnitude
     * ({@code 640.0}, {@code 6.4e2}). From 2^53 on such a number may already have been rounded (9007199254740993.0
     * reads as 2^53), and is refused.
     */
    private static boolean isLong(JsonNode v) {
        if (v == null || !v.isNumber()) {
            return false;
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToLong();
        }
        double d = v.asDouble();
        return d == Math.rint(d) && Math.abs(d) < EXACT && v.decimalValue().stripTrailingZeros().scale() <= 0;
    }

    /** The value of a number {@link #isLong} accepts. */
    private static long integral(JsonNode v) {
        return v.isIntegralNumber() ? v.asLong() : (long) v.asDouble();
    }

    private static long longValue(JsonNode v, String field, String where) {
        if (!isLong(v)) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be an integer of 64 bits (an integral "
                    + "number such as 640 or 640.0); got " + v);
        }
        return integral(v);
    }

    private static double number(JsonNode v, String field, String where) {
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a number; got " + v);
        }
        return v.asDouble();
    }
}
