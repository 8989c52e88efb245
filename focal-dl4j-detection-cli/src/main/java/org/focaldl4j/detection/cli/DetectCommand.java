package org.focaldl4j.detection.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.box.Detection;
import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.CocoDataset.Category;
import org.focaldl4j.detection.data.CocoDataset.Result;
import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.data.ImageFiles;
import org.focaldl4j.detection.data.Letterbox;
import org.focaldl4j.detection.eval.DetectionPicture;
import org.focaldl4j.detection.model.RetinaNet;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code detect}: every image of a folder (PNG, JPEG, BMP, GIF; by file name) letterboxed as in training, the
 * paper's inference ({@link RetinaNet#detect}), and each detection mapped back to the original image's pixels, as
 * COCO results with the detector's own category ids. Image ids: those of {@code --annotations} (a COCO file whose
 * {@code file_name}s are the folder's images; every one must be there, and its categories must be the detector's),
 * otherwise 1…N in file-name order. The results, and the pictures asked for, are written only when every image has
 * been detected in (the pictures to a temporary folder moved into place); pictures go to a folder outside the
 * images', one per image, named after it.
 */
@Command(name = "detect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Detect objects in a folder of images with a trained detector; write COCO results.")
final class DetectCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "MODEL.zip", description = "A detector from train.")
    Path model;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "The images.")
    Path images;

    @Option(names = "--out", required = true, paramLabel = "RESULTS.json", description = "COCO results to write.")
    Path out;

    @Option(names = "--annotations", paramLabel = "GT.json", description = "COCO ground truth giving the image ids.")
    Path annotations;

    @Option(names = "--pictures", paramLabel = "DIR", description = "Also draw each image's detections into DIR.")
    Path pictures;

    @Option(names = "--min-score", defaultValue = "0.05", description = "Default: ${DEFAULT-VALUE}.")
    double minScore;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws IOException {
        if (!(minScore >= 0 && minScore < 1)) {
            throw new IllegalArgumentException("--min-score must be in [0, 1); got " + minScore);
        }
        Outputs.checkFile("--out", out);
        Outputs.notInside("--out", out, "--images", images);
        Outputs.notInside("--out", out, "--model", model);
        Outputs.notInside("--out", out, "--annotations", annotations);
        if (pictures != null) {
            if (Files.exists(pictures) && !Files.isDirectory(pictures)) {
                throw new IllegalArgumentException("--pictures " + pictures + " is a file; give a folder");
            }
            Outputs.checkFolder("--pictures", pictures, pictures.toAbsolutePath().getParent());
            Outputs.notInside("--pictures", pictures, "--images", images);
        }
        DetectorFile.Spec spec = DetectorFile.spec(model);
        Map<Path, Long> ids = imageIds(spec.categories());
        Path drawn = pictures == null ? null : pictureFolder(ids.keySet());
        try {
            RetinaNet retinaNet = spec.retinaNet();
            ComputationGraph net = DetectorFile.network(model);
            Letterbox letterbox = new Letterbox(spec.imageSize());
            List<Category> categories = spec.categories();
            List<Result> results = new ArrayList<>();
            List<Map.Entry<Path, Long>> all = new ArrayList<>(ids.entrySet());
            int s = spec.imageSize();
            int c = spec.channels();
            for (int from = 0; from < all.size(); from += 16) {
                List<Map.Entry<Path, Long>> batch = all.subList(from, Math.min(all.size(), from + 16));
                float[] pixels = new float[batch.size() * c * s * s];
                List<Letterbox.Placement> placements = new ArrayList<>();
                for (int k = 0; k < batch.size(); k++) {
                    Path file = batch.get(k).getKey();
                    int[] size = ImageFiles.size(file);
                    Letterbox.Placement p = letterbox.place(size[0], size[1]);
                    placements.add(p);
                    System.arraycopy(letterbox.apply(ImageFiles.decode(file, c), c, p, false), 0, pixels, k * c * s * s,
                            c * s * s);
                }
                INDArray input = Nd4j.create(pixels, new long[] {batch.size(), c, s, s}, 'c');
                List<List<Detection>> found = retinaNet.detect(net, input, minScore, 1000, 0.5, 100);
                for (int k = 0; k < batch.size(); k++) {
                    for (Detection d : found.get(k)) {
                        results.add(new Result(batch.get(k).getValue(), categories.get(d.classIndex()).id(),
                                CocoDataset.fromCorners(letterbox.toOriginal(d.box(), placements.get(k))), d.score()));
                    }
                    if (drawn != null) {
                        draw(drawn, input, k, found.get(k), batch.get(k).getKey(), categories);
                    }
                }
            }
            if (drawn != null) {
                Files.createDirectories(pictures);
                try (Stream<Path> files = Files.list(drawn)) {
                    for (Path f : files.toList()) {
                        Files.move(f, pictures.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                Files.delete(drawn);
            }
            Files.createDirectories(out.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), out.getFileName().toString(), ".part");
            try {
                Files.writeString(tmp, CocoJson.resultsToJson(results), StandardCharsets.UTF_8);
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            PrintWriter log = command.commandLine().getOut();
            log.printf(Locale.ROOT, "%d detections (score >= %s) on %d images; wrote %s%n", results.size(), minScore,
                    ids.size(), out);
            log.flush();
            return 0;
        } finally {
            if (drawn != null && Files.exists(drawn)) {                // a failure part-way: no pictures at all
                try (Stream<Path> left = Files.walk(drawn)) {
                    for (Path f : left.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException e) {
                    // the run's own error is the one to report; a leftover "<pictures>.part…" folder holds nothing needed
                }
            }
        }
    }

    /** The images to detect in, each with its COCO id. */
    private Map<Path, Long> imageIds(List<Category> categories) throws IOException {
        if (!Files.isDirectory(images)) {
            throw new IOException(images + ": no such image folder");
        }
        Map<Path, Long> ids = new LinkedHashMap<>();
        if (annotations != null) {
            // Only the images and their ids are used: boxes without area are passed over, not refused.
            org.focaldl4j.detection.data.LabelledImages truth = org.focaldl4j.detection.data.LabelledImages.readCoco(
                    images, annotations, org.focaldl4j.detection.data.LabelledImages.EmptyBoxes.DROP);
            if (!truth.categories().equals(categories)) {
                throw new IllegalArgumentException(annotations + ": its categories " + truth.categories()
                        + " are not the detector's " + categories + " (ids and names, in order)");
            }
            for (int i = 0; i < truth.size(); i++) {
                ids.put(truth.file(i), truth.image(i).id());
            }
            return ids;
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(images)) {
            files = list.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT)
                    .matches(".*\\.(png|jpg|jpeg|bmp|gif)")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(images + ": no PNG, JPEG, BMP or GIF files");
        }
        for (int i = 0; i < files.size(); i++) {
            ids.put(files.get(i), i + 1L);
        }
        return ids;
    }

    /**
     * A new temporary folder beside {@code --pictures} for the pictures, once the folder is known to lie outside the
     * images' and no two images would give the same picture name.
     */
    private Path pictureFolder(java.util.Set<Path> files) throws IOException {
        Path target = pictures.toAbsolutePath().normalize();
        Map<String, Path> names = new java.util.HashMap<>();
        for (Path f : files) {
            Path other = names.put(pictureName(f), f);
            if (other != null) {
                throw new IllegalArgumentException("--pictures: " + other + " and " + f + " would both be drawn as "
                        + pictureName(f));
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        return Files.createTempDirectory(parent, target.getFileName() + ".part");
    }

    private static String pictureName(Path file) {
        return file.getFileName().toString().replaceAll("\\.[^.]*$", "") + ".png";
    }

    private void draw(Path folder, INDArray input, int k, List<Detection> found, Path file, List<Category> categories)
            throws IOException {
        List<String> names = categories.stream().map(Category::name).toList();
        List<Detection> mine = found.stream().map(d -> new Detection(0, d.classIndex(), d.score(), d.box())).toList();
        DetectionPicture.write(folder.resolve(pictureName(file)),
                DetectionPicture.draw(input.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(k, k + 1)).dup(),
                        List.of(mine), new double[][][] {{}}, new int[][] {{}}, names, 1, 1));
    }
}
