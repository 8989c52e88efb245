package org.focaldl4j.benchmarks;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.datavec.image.loader.NativeImageLoader;
import org.focaldl4j.detection.data.ImageFiles;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Image decoding, file to a [C, H, W] array, by three decoders in one JMH run (SampleTime, medians):
 * <ul>
 *   <li>{@value #IMAGEIO}: the JDK's own reader, then {@link ImageFiles#fromImage} (what {@link ImageFiles#decode}
 *       does);</li>
 *   <li>{@value #TWELVEMONKEYS}: TwelveMonkeys' ImageIO JPEG reader, then the same conversion (JPEG only; it has no
 *       PNG reader);</li>
 *   <li>{@value #OPENCV}: DataVec's {@code NativeImageLoader.asMatrix} (OpenCV through JavaCPP), which gives an
 *       INDArray of 0–255 values in B, G, R order.</li>
 * </ul>
 * Inputs, written once into a temporary folder from one photograph ({@code grace_hopper.jpg}, 512×600, from
 * Debian's python3-matplotlib sample data): the photo as JPEG and as PNG (RGB), and a 64×64 grey PNG, the demo
 * canvas's size. Run: {@code mvn -B -q -pl benchmarks exec:exec -Dexec.mainClass=org.focaldl4j.benchmarks.DecodeSpeed}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DecodeSpeed {

    public static final String IMAGEIO = "ImageIO";
    public static final String TWELVEMONKEYS = "TwelveMonkeys";
    public static final String OPENCV = "NativeImageLoader";
    static final Path PHOTO = Path.of("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg");

    @Param({IMAGEIO, TWELVEMONKEYS, OPENCV})
    public String decoder;

    @Param({"photo.jpg", "photo.png", "canvas64.png"})
    public String image;

    private File file;
    private int channels;
    private NativeImageLoader loader;

    @Setup
    public void setUp() throws IOException {
        Path dir = Files.createTempDirectory("decode-speed");
        BufferedImage photo = ImageIO.read(PHOTO.toFile());
        Files.copy(PHOTO, dir.resolve("photo.jpg"));
        ImageIO.write(photo, "png", dir.resolve("photo.png").toFile());
        BufferedImage canvas = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = canvas.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(photo, 0, 0, 64, 64, null);
        g.dispose();
        ImageIO.write(canvas, "png", dir.resolve("canvas64.png").toFile());
        file = dir.resolve(image).toFile();
        channels = image.startsWith("canvas") ? 1 : 3;
        int[] size = ImageFiles.size(file.toPath());
        loader = new NativeImageLoader(size[1], size[0], channels);
        if (decoder.equals(TWELVEMONKEYS) && !image.endsWith(".jpg")) {
            throw new IllegalStateException("TwelveMonkeys has no PNG reader: skip this pair");
        }
    }

    @Benchmark
    public Object decode() throws IOException {
        if (decoder.equals(OPENCV)) {
            INDArray a = loader.asMatrix(file);
            a.close();
            return a;
        }
        return ImageFiles.fromImage(read(file, decoder.equals(IMAGEIO) ? "com.sun.imageio" : "com.twelvemonkeys"),
                channels);
    }

    /** Decodes with the first ImageIO reader whose class name starts with {@code vendor}. */
    static BufferedImage read(File file, String vendor) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            while (readers.hasNext()) {
                ImageReader r = readers.next();
                if (r.getClass().getName().startsWith(vendor)) {
                    try {
                        r.setInput(in, true, true);
                        return r.read(0);
                    } finally {
                        r.dispose();
                    }
                }
            }
        }
        throw new IOException("no " + vendor + " reader for " + file);
    }

    public static void main(String[] args) throws RunnerException {
        if (!Files.isRegularFile(PHOTO)) {
            throw new IllegalStateException(PHOTO + " is missing: apt-get install python3-matplotlib");
        }
        List<String[]> pairs = List.of(new String[] {IMAGEIO, "photo.jpg"}, new String[] {TWELVEMONKEYS, "photo.jpg"},
                new String[] {OPENCV, "photo.jpg"}, new String[] {IMAGEIO, "photo.png"},
                new String[] {OPENCV, "photo.png"}, new String[] {IMAGEIO, "canvas64.png"},
                new String[] {OPENCV, "canvas64.png"});
        System.out.println("| image | decoder | median µs | × ImageIO | images/s (one thread) |");
        System.out.println("|---|---|---|---|---|");
        double base = Double.NaN;
        for (String[] p : pairs) {
            RunResult r = new Runner(new OptionsBuilder().include(DecodeSpeed.class.getSimpleName() + ".decode")
                    .param("decoder", p[0]).param("image", p[1]).forks(1).warmupIterations(3)
                    .warmupTime(TimeValue.seconds(2)).measurementIterations(5).measurementTime(TimeValue.seconds(2))
                    .threads(1).shouldFailOnError(true).build()).runSingle();
            double median = r.getPrimaryResult().getStatistics().getPercentile(50);
            if (p[0].equals(IMAGEIO)) {
                base = median;
            }
            System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.2f | %.0f |%n", p[1], p[0], median, median / base,
                    1e6 / median);
        }
    }
}
