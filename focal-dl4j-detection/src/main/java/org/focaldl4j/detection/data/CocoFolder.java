package org.focaldl4j.detection.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * Reads {@link LabelledImages#readCoco}: the ground truth through {@link CocoJson} (one reader of COCO's fields), and
 * each image's {@code file_name}, a relative path that must stay inside the image folder.
 */
final class CocoFolder {

    private CocoFolder() {
    }

    static LabelledImages read(Path imageFolder, Path annotations, LabelledImages.EmptyBoxes empty) throws IOException {
        if (imageFolder == null || annotations == null) {
            throw new IllegalArgumentException("readCoco needs an image folder and an annotations file; got "
                    + imageFolder + " and " + annotations);
        }
        if (!Files.isDirectory(imageFolder)) {
            throw new IOException(imageFolder + ": no such image folder");
        }
        if (!Files.isRegularFile(annotations)) {
            throw new IOException(annotations + ": no such annotations file");
        }
        String where = annotations.toString();
        JsonNode root = CocoJson.parse(annotations);
        CocoDataset truth = CocoJson.fromJson(root, where);
        List<Path> files = new ArrayList<>();
        JsonNode images = root.get("images");
        for (int i = 0; i < images.size(); i++) {
            files.add(resolve(imageFolder, images.get(i).get("file_name"), where + " (image "
                    + truth.images().get(i).id() + ")"));
        }
        return new LabelledImages(truth, files, where, id -> where + " (annotation " + id + ")", empty);
    }

    /** {@code folder/name}, refused when the name is missing, absolute, or leads outside the folder. */
    static Path resolve(Path folder, JsonNode name, String where) {
        if (name == null || !name.isTextual() || name.asText().isEmpty()) {
            throw new IllegalArgumentException(where + ": \"file_name\" must be a non-empty string; got " + name);
        }
        return inside(folder, name.asText(), where);
    }

    /** {@code folder/name}, refused when {@code name} is absolute or leads outside {@code folder}. */
    static Path inside(Path folder, String name, String where) {
        Path relative;
        try {
            relative = Path.of(name);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": file name \"" + name + "\" is not a path (" + e.getMessage()
                    + ")", e);
        }
        Path base = folder.toAbsolutePath().normalize();
        Path file = base.resolve(relative).normalize();
        if (relative.isAbsolute() || !file.startsWith(base) || file.equals(base)) {
            throw new IllegalArgumentException(where + ": file name \"" + name + "\" must be a relative path inside "
                    + folder);
        }
        return file;
    }
}
