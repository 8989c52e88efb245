package org.focaldl4j.detection.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.data.LabelledImages;
import org.focaldl4j.detection.data.Streaming;
import org.focaldl4j.detection.model.RetinaNet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train}: reads a COCO or VOC folder ({@link LabelledImages}), streams it letterboxed to S×S with flips in a
 * seeded order ({@link Streaming}), trains for {@code --iterations} minibatches with Adam, and writes the detector
 * ({@link DetectorFile}). {@code --resume MODEL.zip} continues a detector's training to {@code --iterations} in
 * total, bit for bit as if it had not stopped: the same settings, the same ground truth (the SHA-256 of the
 * annotations as read is checked; the pixels are not), the stream resumed after the batches already trained on.
 * Flags are checked before the dataset is read, and every image is decoded once before training starts.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a detector on a COCO or Pascal VOC folder.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--images", required = true, paramLabel = "DIR",
            description = "COCO: the image folder; VOC: the VOC root (Annotations/, JPEGImages/, ImageSets/Main/).")
    Path images;

    @Option(names = "--annotations", required = true, paramLabel = "FILE",
            description = "COCO: the annotations JSON; VOC: the image-set list, ROOT/ImageSets/Main/<set>.txt.")
    Path annotations;

    @Option(names = "--format", defaultValue = "coco", paramLabel = "coco|voc", description = "Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--out", required = true, paramLabel = "MODEL.zip", description = "The detector file to write.")
    Path out;

    @Option(names = "--resume", paramLabel = "MODEL.zip", description = "Continue this detector's training.")
    Path resume;

    @Option(names = "--iterations", defaultValue = "1000", description = "Minibatches in total. Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = "--batch", description = "Images per minibatch. Default: 16.")
    Integer batch;

    @Option(names = "--image-size", paramLabel = "S", description = "Letterbox side: a multiple of 16 (tiny) or 128 "
            + "(resnet). Default: 64 (tiny), 256 (resnet).")
    Integer imageSize;

    @Option(names = "--channels", description = "1 (grey) or 3 (RGB). Default: 3.")
    Integer channels;

    @Option(names = "--lr", description = "Adam's learning rate. Default: 0.001.")
    Double lr;

    @Option(names = "--loss", paramLabel = "focal|ce", description = "Focal loss or α-balanced cross-entropy. Default: focal.")
    String loss;

    @Option(names = "--alpha", description = "α. Default: 0.25.")
    Double alpha;

    @Option(names = "--gamma", description = "γ of the focal loss. Default: 2.")
    Double gamma;

    @Option(names = "--backbone", paramLabel = "tiny|resnet18|resnet34|resnet50", description = "Default: tiny.")
    String backbone;

    @Option(names = "--seed", description = "Initialisation, order and flips. Default: 1.")
    Long seed;

    @Option(names = "--drop-empty-boxes", description = "COCO: leave boxes of zero width or height out of training "
            + "(listed), instead of refusing the dataset.")
    boolean dropEmptyBoxes;

    @Option(names = "--checkpoint-every", defaultValue = "0", paramLabel = "N",
            description = "Also write the detector every N iterations (0: only at the end).")
    int checkpointEvery;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    /** Each flag given, checked on its own before anything is read, so that a refusal names the flag. */
    private void checkFlags() {
        if (!format.equals("coco") && !format.equals("voc")) {
            throw new IllegalArgumentException("--format must be coco or voc; got " + format);
        }
        if (backbone != null && !List.of("tiny", "resnet18", "resnet34", "resnet50").contains(backbone)) {
            throw new IllegalArgumentException("--backbone must be tiny, resnet18, resnet34 or resnet50; got " + backbone);
        }
        range("--iterations", iterations, 1, Integer.MAX_VALUE);
        range("--checkpoint-every", checkpointEvery, 0, Integer.MAX_VALUE);
        if (batch != null) {
            range("--batch", batch, 1, 1024);
        }
        if (imageSize != null) {
            range("--image-size", imageSize, 16, 2048);
            int coarsest = backbone == null || backbone.equals("tiny") ? 16 : 128;
            if (imageSize % coarsest != 0) {
                throw new IllegalArgumentException("--image-size " + imageSize + " must be a multiple of " + coarsest
                        + ", the " + (coarsest == 16 ? "tiny backbone's" : "ResNet pyramid's") + " coarsest stride");
            }
        }
        if (channels != null && channels != 1 && channels != 3) {
            throw new IllegalArgumentException("--channels must be 1 or 3; got " + channels);
        }
        if (lr != null && (!(lr > 0) || Double.isInfinite(lr))) {
            throw new IllegalArgumentException("--lr must be finite and > 0; got " + lr);
        }
        if (alpha != null && !(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("--alpha must be in [0, 1]; got " + alpha);
        }
        if (gamma != null && !(gamma >= 0 && gamma <= 1000)) {
            throw new IllegalArgumentException("--gamma must be in [0, 1000]; got " + gamma);
        }
        if (loss != null && !loss.equals("focal") && !loss.equals("ce")) {
            throw new IllegalArgumentException("--loss must be focal or ce; got " + loss);
        }
        if (gamma != null && "ce".equals(loss)) {
            throw new IllegalArgumentException("--gamma has no effect with --loss ce (α-balanced cross-entropy)");
        }
        Outputs.checkFile("--out", out);
        int b = batch != null ? batch : 16;
        int c = channels != null ? channels : 3;
        long size = imageSize != null ? imageSize : backbone == null || backbone.equals("tiny") ? 64 : 256;
        if ((long) b * c * size * size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("--batch " + b + " of " + c + "×" + size + "×" + size + " images is more "
                    + "than a Java array holds; use a smaller batch or image size");
        }
    }

    private static void range(String flag, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(flag + " must be in [" + min + ", " + max + "]; got " + value);
        }
    }

    @Override
    public Integer call() throws IOException {
        checkFlags();
        PrintWriter log = command.commandLine().getOut();
        DetectorFile.Spec resumed = resume == null ? null : DetectorFile.spec(resume);
        if (resumed != null) {
            checkSame(resumed);
        }
        Outputs.notInside("--out", out, "--images", images);
        LabelledImages data = read();
        String digest = sha256(CocoJson.write(data.groundTruth()));
        DetectorFile.Spec spec;
        ComputationGraph net;
        if (resumed != null) {
            spec = resumed;
            if (!digest.equals(spec.dataset())) {
                throw new IllegalArgumentException(annotations + " does not hold the annotations " + resume
                        + " was trained on (SHA-256 of the ground truth " + digest + ", expected " + spec.dataset()
                        + ")");
            }
            net = DetectorFile.network(resume);
        } else {
            String bb = backbone == null ? "tiny" : backbone;
            spec = new DetectorFile.Spec(imageSize != null ? imageSize : bb.equals("tiny") ? 64 : 256,
                    channels == null ? 3 : channels, bb, data.categories(), loss == null ? "focal" : loss,
                    alpha == null ? 0.25 : alpha, gamma == null ? 2 : gamma, lr == null ? 1e-3 : lr,
                    batch == null ? 16 : batch, seed == null ? 1 : seed, 0, digest);
            net = spec.retinaNet().network();
        }
        if (iterations < spec.done()) {
            throw new IllegalArgumentException("--iterations " + iterations + " must be >= the " + spec.done()
                    + " iterations the detector has done");
        }
        if (!spec.categories().equals(data.categories())) {
            throw new IllegalArgumentException("the dataset's categories " + data.categories() + " are not the "
                    + "detector's " + spec.categories());
        }
        log.printf(Locale.ROOT, "checking the pixels of %d images…%n", data.size());
        log.flush();
        data.checkPixels(spec.channels());
        RetinaNet retinaNet = spec.retinaNet();
        MultiDataSetIterator it = data.iterator(retinaNet.targets(), Streaming.of(spec.channels(), spec.batch())
                .shuffled(spec.seed()).flipped().skipping(spec.done()));
        log.printf(Locale.ROOT, "%d images, %d categories; %s at %d×%d, batch %d, iterations %d → %d%n", data.size(),
                data.categories().size(), spec.backbone(), spec.imageSize(), spec.imageSize(), spec.batch(),
                spec.done(), iterations);
        log.flush();
        long start = System.nanoTime();
        double first = Double.NaN;
        ProgressBarBuilder bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(iterations)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).continuousUpdate()
                .setConsumer(new DelegatingProgressBarConsumer(line -> {
                    command.commandLine().getErr().print("\r" + line);
                    command.commandLine().getErr().flush();
                }));
        try (ProgressBar pb = bar.build()) {
            pb.stepTo(spec.done());
            for (int i = spec.done(); i < iterations; i++) {
                if (!it.hasNext()) {
                    it.reset();
                }
                net.fit(it.next());
                first = Double.isNaN(first) ? net.score() : first;
                pb.step();
                pb.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", net.score()));
                if (checkpointEvery > 0 && (i + 1) % checkpointEvery == 0 && i + 1 < iterations) {
                    DetectorFile.write(net, spec.withDone(i + 1), out);
                }
            }
        }
        command.commandLine().getErr().println();
        DetectorFile.write(net, spec.withDone(iterations), out);
        log.printf(Locale.ROOT, "loss (data, no regularisation) %.4f → %.4f in %.0f s; wrote %s%n", first, net.score(),
                (System.nanoTime() - start) / 1e9, out);
        log.flush();
        return 0;
    }

    private LabelledImages read() throws IOException {
        if (format.equals("coco")) {
            LabelledImages data = LabelledImages.readCoco(images, annotations, dropEmptyBoxes
                    ? LabelledImages.EmptyBoxes.DROP : LabelledImages.EmptyBoxes.REFUSE);
            if (!data.droppedAnnotations().isEmpty()) {
                command.commandLine().getOut().println("left out of training " + data.droppedAnnotations().size()
                        + " annotations without area: " + data.droppedAnnotations());
            }
            return data;
        }
        if (dropEmptyBoxes) {
            throw new IllegalArgumentException("--drop-empty-boxes is for COCO; a VOC box is at least one pixel wide");
        }
        Path list = annotations.toAbsolutePath().normalize();
        String name = list.getFileName() == null ? "" : list.getFileName().toString();
        if (!name.endsWith(".txt") || !images.toAbsolutePath().normalize().resolve("ImageSets").resolve("Main")
                .equals(list.getParent())) {
            throw new IllegalArgumentException("--annotations for VOC must be " + images + "/ImageSets/Main/<set>.txt; "
                    + "got " + annotations);
        }
        return LabelledImages.readVoc(images, name.substring(0, name.length() - ".txt".length()));
    }

    /** On resume, every setting given must be the detector's. */
    private void checkSame(DetectorFile.Spec s) {
        same("--batch", batch, s.batch());
        same("--image-size", imageSize, s.imageSize());
        same("--channels", channels, s.channels());
        same("--lr", lr, s.lr());
        same("--loss", loss, s.loss());
        same("--alpha", alpha, s.alpha());
        same("--gamma", gamma, s.gamma());
        same("--backbone", backbone, s.backbone());
        same("--seed", seed, s.seed());
    }

    private void same(String flag, Object given, Object stored) {
        if (given != null && !given.equals(stored)) {
            throw new IllegalArgumentException(flag + " " + given + " differs from the resumed detector's " + stored);
        }
    }

    /** The ground truth's digest: the same annotations, however they were formatted on disk. */
    static String sha256(String groundTruth) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                    groundTruth.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
