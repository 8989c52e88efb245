package org.focaldl4j.examples;

import java.nio.file.Path;

import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.data.ImageFolders;

/**
 * Writes the demo's Fashion-MNIST canvases as two COCO folders of PNG files, {@code DIR/train} (1600 canvases,
 * seed 1, training items) and {@code DIR/test} (200, seed 1001, test items), to try the command line on:
 * {@code mvn -q -pl examples exec:java -Dexec.mainClass=org.focaldl4j.examples.ExportFashionFolder -Dexec.args=DIR}.
 * The same canvases as {@code FashionDetectionDemo}'s with seed 1 (its test canvases use seed + 1000).
 */
public final class ExportFashionFolder {

    private ExportFashionFolder() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ExportFashionFolder DIR   (DIR/train and DIR/test must not exist)");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        FashionDetector.Settings s = new FashionDetector.Settings();
        DetectionImages train = FashionCanvases.generate(FashionMnist.load(FashionMnist.Source.SUBSET, true),
                s.trainCanvases, FashionDetector.SIZE, 16, 40, 0.3, 1);
        DetectionImages test = FashionCanvases.generate(FashionMnist.load(FashionMnist.Source.SUBSET, false),
                s.testCanvases, FashionDetector.SIZE, 16, 40, 0.3, 1001);
        ImageFolders.writeCoco(train, FashionMnist.CLASS_NAMES, dir.resolve("train"));
        ImageFolders.writeCoco(test, FashionMnist.CLASS_NAMES, dir.resolve("test"));
        System.out.println("wrote " + train.size() + " training and " + test.size() + " test canvases under " + dir);
    }
}
