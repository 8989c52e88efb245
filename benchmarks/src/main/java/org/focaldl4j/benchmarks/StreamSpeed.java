package org.focaldl4j.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import org.focaldl4j.detection.anchor.AnchorMatcher;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.box.BoxCoder;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.data.ImageFiles;
import org.focaldl4j.detection.data.ImageFolders;
import org.focaldl4j.detection.data.LabelledImages;
import org.focaldl4j.detection.data.Streaming;
import org.focaldl4j.examples.FashionCanvases;
import org.focaldl4j.examples.FashionMnist;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * Throughput of {@link LabelledImages#iterator} — read, decode, letterbox, flip, anchor targets, batch — in images
 * per second, medians of 5 epochs after one warm-up epoch, with 1 and 2 worker threads:
 * <ul>
 *   <li>"canvas": 512 Fashion-MNIST canvases of the demo (64×64 grey PNG, 1–4 items) exported as a COCO folder,
 *       batches of 16 for the demo's detector (strides 8 and 16, base 2·stride, 9 anchors per location);</li>
 *   <li>"photo": 128 copies of one photograph (512×600 RGB JPEG, {@code grace_hopper.jpg} of python3-matplotlib)
 *       with one box each, letterboxed to 256×256 for the paper's pyramid P3–P7 (9 anchors per location).</li>
 * </ul>
 * The caller's thread only takes batches, as a training loop would; a step that takes longer than a batch's
 * share of this time never waits for data. Run:
 * {@code mvn -B -q -pl benchmarks exec:java@step -Dexec.mainClass=org.focaldl4j.benchmarks.StreamSpeed}.
 */
public final class StreamSpeed {

    private StreamSpeed() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("stream-speed");
        DetectionImages canvases = FashionCanvases.generate(FashionMnist.load(FashionMnist.Source.SUBSET, true), 512, 64,
                16, 40, 0.3, 1);
        ImageFolders.writeCoco(canvases, FashionMnist.CLASS_NAMES, dir.resolve("canvas"));
        LabelledImages canvasFolder = LabelledImages.readCoco(dir.resolve("canvas/images"),
                dir.resolve("canvas/annotations.json"));
        AnchorTargets canvasTargets = new AnchorTargets(AnchorPyramid.of(2, 8, 16), 64, 64, 10, new AnchorMatcher(),
                new BoxCoder());
        LabelledImages photos = photoFolder(dir.resolve("photo"), 128);
        AnchorTargets photoTargets = new AnchorTargets(AnchorPyramid.paper(8, 16, 32, 64, 128), 256, 256, 1,
                new AnchorMatcher(), new BoxCoder());
        System.out.println("| images | workers | images/s (median of 5 epochs) | ms per batch of 16 |");
        System.out.println("|---|---|---|---|");
        for (int workers : new int[] {1, 2}) {
            report("canvas 64×64 grey PNG", workers, canvasFolder, canvasTargets, 1);
        }
        for (int workers : new int[] {1, 2}) {
            report("photo 512×600 RGB JPEG → 256×256", workers, photos, photoTargets, 3);
        }
    }

    private static void report(String what, int workers, LabelledImages data, AnchorTargets targets, int channels) {
        MultiDataSetIterator it = data.iterator(targets, Streaming.of(channels, 16).shuffled(1).flipped()
                .background(workers, 4));
        double[] rates = new double[6];
        for (int epoch = 0; epoch < rates.length; epoch++) {
            long start = System.nanoTime();
            int images = 0;
            while (it.hasNext()) {
                images += (int) it.next().getFeatures(0).size(0);
            }
            rates[epoch] = images / ((System.nanoTime() - start) / 1e9);
            it.reset();
        }
        double[] measured = Arrays.copyOfRange(rates, 1, rates.length);
        Arrays.sort(measured);
        double median = measured[measured.length / 2];
        System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.1f |%n", what, workers, median, 16_000 / median);
    }

    /** A COCO folder of {@code n} copies of the photograph, each with one box around the face. */
    private static LabelledImages photoFolder(Path folder, int n) throws IOException {
        Path photo = DecodeSpeed.PHOTO;
        if (!Files.isRegularFile(photo)) {
            throw new IllegalStateException(photo + " is missing: apt-get install python3-matplotlib");
        }
        Files.createDirectories(folder.resolve("images"));
        int[] size = ImageFiles.size(photo);
        StringBuilder images = new StringBuilder();
        StringBuilder annotations = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            Files.copy(photo, folder.resolve("images/photo" + i + ".jpg"));
            images.append(i > 1 ? "," : "").append(String.format(Locale.ROOT,
                    "{\"id\": %d, \"width\": %d, \"height\": %d, \"file_name\": \"photo%d.jpg\"}", i, size[0], size[1], i));
            annotations.append(i > 1 ? "," : "").append(String.format(Locale.ROOT, "{\"id\": %d, \"image_id\": %d, "
                    + "\"category_id\": 1, \"bbox\": [150, 80, 220, 280], \"area\": 61600, \"iscrowd\": 0}", i, i));
        }
        Files.writeString(folder.resolve("annotations.json"), "{\"images\": [" + images + "], \"annotations\": ["
                + annotations + "], \"categories\": [{\"id\": 1, \"name\": \"person\"}]}", StandardCharsets.UTF_8);
        return LabelledImages.readCoco(folder.resolve("images"), folder.resolve("annotations.json"));
    }
}
