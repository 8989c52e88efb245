package org.focaldl4j.detection.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.data.CocoDataset.Category;
import org.focaldl4j.detection.model.Backbones;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * A detector on disk: DL4J's {@code ModelSerializer} zip (the network and its updater state, so training resumes
 * where it stopped) with one more entry, {@value #ENTRY}, the {@link Spec}: everything {@code detect} needs (input
 * size and channels, the architecture, the categories' ids and names) and what {@code train --resume} continues
 * (the training settings, the iterations done, the annotations file's SHA-256). Written to a temporary file beside
 * the target and moved into place, so a failed write leaves no half-written model.
 */
final class DetectorFile {

    static final String ENTRY = "focal-dl4j-detector.json";     // at the root: ModelSerializer refuses directory entries
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(org.nd4j.shade.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(org.nd4j.shade.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private DetectorFile() {
    }

    /**
     * The architecture and training of a detector. Backbones: "tiny" (the demo's: 16 filters, levels at strides 8
     * and 16, base 2·stride) or "resnet18", "resnet34", "resnet50" (trainable batch norm, the paper's P3–P7).
     */
    record Spec(int imageSize, int channels, String backbone, List<Category> categories, String loss, double alpha,
                double gamma, double lr, int batch, long seed, int done, String dataset) {

        Spec {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("channels must be 1 or 3; got " + channels);
            }
            if (!List.of("tiny", "resnet18", "resnet34", "resnet50").contains(backbone)) {
                throw new IllegalArgumentException("backbone must be tiny, resnet18, resnet34 or resnet50; got " + backbone);
            }
            if (categories == null || categories.isEmpty()) {
                throw new IllegalArgumentException("a detector needs at least one category");
            }
            categories = List.copyOf(categories);
            if (!loss.equals("focal") && !loss.equals("ce")) {
                throw new IllegalArgumentException("loss must be focal or ce; got " + loss);
            }
            if (!(lr > 0) || Double.isInfinite(lr)) {
                throw new IllegalArgumentException("lr must be finite and > 0; got " + lr);
            }
            if (batch < 1 || batch > 1024 || done < 0 || dataset == null) {
                throw new IllegalArgumentException("need batch in [1, 1024], iterations done >= 0 and a dataset digest; "
                        + "got " + batch + ", " + done + ", " + dataset);
            }
            if (imageSize > 2048) {
                throw new IllegalArgumentException("image size must be at most 2048; got " + imageSize);
            }
            build(imageSize, channels, backbone, categories.size(), loss, alpha, gamma, lr, seed);       // validates
        }

        Spec withDone(int newDone) {
            return new Spec(imageSize, channels, backbone, categories, loss, alpha, gamma, lr, batch, seed, newDone,
                    dataset);
        }

        RetinaNet retinaNet() {
            return build(imageSize, channels, backbone, categories.size(), loss, alpha, gamma, lr, seed);
        }
    }

    private static RetinaNet build(int size, int channels, String backbone, int classes, String loss, double alpha,
                                       double gamma, double lr, long seed) {
        RetinaNet.Builder b = RetinaNet.builder().input(size, size, channels).classes(classes)
                .classLoss(new LossFocal(alpha, loss.equals("ce") ? 0 : gamma)).updater(new Adam(lr)).weightDecay(0)
                .seed(seed);
        if (backbone.equals("tiny")) {
            b.backbone(Backbones.tiny(16)).anchors(AnchorPyramid.of(2, 8, 16)).fpnChannels(32).heads(2, 32);
        } else {
            b.backbone(Backbones.resnet(Integer.parseInt(backbone.substring("resnet".length())), false))
                    .anchors(AnchorPyramid.paper(8, 16, 32, 64, 128)).fpnChannels(64).heads(2, 64);
        }
        return b.build();
    }

    /** Writes {@code net} with its updater and {@code spec} to {@code file}, atomically. */
    static void write(ComputationGraph net, Spec spec, Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".part");
        try {
            ModelSerializer.writeModel(net, tmp.toFile(), true);
            try (FileSystem zip = FileSystems.newFileSystem(tmp, Map.of())) {
                Files.writeString(zip.getPath(ENTRY), toJson(spec), StandardCharsets.UTF_8);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The spec of a detector file, validated. */
    static Spec spec(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such model file");
        }
        try (FileSystem zip = FileSystems.newFileSystem(file, Map.of())) {
            Path entry = zip.getPath(ENTRY);
            if (!Files.isRegularFile(entry)) {
                throw new IOException(file + ": not a focal-dl4j detector (no " + ENTRY + ")");
            }
            String text;
            try {
                text = Files.readString(entry, StandardCharsets.UTF_8);
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new IOException(file + " (" + ENTRY + "): not UTF-8 text", e);
            }
            try {
                return fromJson(MAPPER.readTree(text), file + " (" + ENTRY + ")");
            } catch (org.nd4j.shade.jackson.core.JsonProcessingException e) {
                throw new IOException(file + " (" + ENTRY + "): not one JSON object (" + e.getOriginalMessage() + ")",
                        e);
            }
        } catch (java.util.zip.ZipException | java.nio.file.ProviderNotFoundException e) {
            throw new IOException(file + ": not a zip file (" + e.getMessage() + ")", e);
        }
    }

    /** The network of a detector file, with its updater state. */
    static ComputationGraph network(Path file) throws IOException {
        return ModelSerializer.restoreComputationGraph(file.toFile(), true);
    }

    static String toJson(Spec s) throws IOException {
        ObjectNode o = MAPPER.createObjectNode().put("format", 1).put("image_size", s.imageSize())
                .put("channels", s.channels()).put("backbone", s.backbone());
        ArrayNode cs = o.putArray("categories");
        for (Category c : s.categories()) {
            cs.addObject().put("id", c.id()).put("name", c.name());
        }
        o.put("loss", s.loss()).put("alpha", s.alpha()).put("gamma", s.gamma()).put("lr", s.lr())
                .put("batch", s.batch()).put("seed", s.seed()).put("iterations_done", s.done())
                .put("annotations_sha256", s.dataset());
        return MAPPER.writeValueAsString(o);
    }

    static Spec fromJson(JsonNode o, String where) {
        try {
            if (o == null || !o.isObject() || !o.path("format").isIntegralNumber() || o.path("format").asInt() != 1) {
                throw new IllegalArgumentException("format must be 1");
            }
            List<Category> categories = new ArrayList<>();
            for (JsonNode c : required(o, "categories")) {
                categories.add(new Category(longInteger(c, "id"), text(c, "name")));
            }
            return new Spec(integer(o, "image_size"), integer(o, "channels"), text(o, "backbone"), categories,
                    text(o, "loss"), number(o, "alpha"), number(o, "gamma"), number(o, "lr"), integer(o, "batch"),
                    longInteger(o, "seed"),
                    integer(o, "iterations_done"), text(o, "annotations_sha256"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static long longInteger(JsonNode o, String field) {
        JsonNode v = required(o, field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an integer; got " + v);
        }
        return v.asLong();
    }

    private static int integer(JsonNode o, String field) {
        JsonNode v = required(o, field);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an integer; got " + v);
        }
        return v.asInt();
    }

    private static double number(JsonNode o, String field) {
        JsonNode v = required(o, field);
        if (!v.isNumber()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a number; got " + v);
        }
        return v.asDouble();
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = required(o, field);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a string; got " + v);
        }
        return v.asText();
    }

    private static JsonNode required(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull() || (v.isContainerNode() != field.equals("categories"))) {
            throw new IllegalArgumentException("\"" + field + "\" is missing or of the wrong kind");
        }
        return v;
    }
}
