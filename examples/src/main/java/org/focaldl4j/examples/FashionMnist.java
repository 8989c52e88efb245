package org.focaldl4j.examples;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, Zalando Research, MIT licence): 28×28 grey images of 10
 * kinds of clothing, read from the dataset's gzipped IDX files. Two sources:
 * <ul>
 *   <li>{@link Source#SUBSET}: the first 3,000 training and 1,000 test items, committed with the examples
 *       ({@code src/main/resources/fashion-mnist-subset/}, made by {@code make_fashion_mnist_subset.py}
 *       there), so the demo runs on a fresh machine;</li>
 *   <li>{@link Source#FULL}: all 60,000 + 10,000 items from the Debian package {@code dataset-fashion-mnist}
 *       ({@value #DEBIAN_DIR}).</li>
 * </ul>
 * IDX: a big-endian int32 magic (2051 for images, 2049 for labels), the item count, for images the rows
 * and columns, then one unsigned byte per pixel or label.
 */
public final class FashionMnist {

    /** The ten classes, by label. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Where Debian's {@code dataset-fashion-mnist} puts the files. */
    public static final String DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

    /** Side of an item. */
    public static final int SIDE = 28;

    /** Where the items come from. */
    public enum Source { SUBSET, FULL }

    /** Items of one split: pixels [n][28·28] (0–255) and labels [n] (0–9). */
    public static final class Items {
        private final byte[][] pixels;
        private final int[] labels;

        Items(byte[][] pixels, int[] labels) {
            this.pixels = pixels;
            this.labels = labels;
        }

        public int size() {
            return labels.length;
        }

        /** Pixel (row, column) of item i, in [0, 1]. */
        public double pixel(int i, int row, int column) {
            return (pixels[i][row * SIDE + column] & 0xff) / 255.0;
        }

        public int label(int i) {
            return labels[i];
        }

        /** The first {@code n} items, 1 ≤ n ≤ size(). */
        public Items first(int n) {
            if (n < 1 || n > size()) {
                throw new IllegalArgumentException("first(n) needs 1 <= n <= " + size() + "; got " + n);
            }
            return new Items(Arrays.copyOf(pixels, n), Arrays.copyOf(labels, n));
        }
    }

    private FashionMnist() {
    }

    /** The training ({@code train}) or test split from {@code source}. */
    public static Items load(Source source, boolean train) {
        String prefix = train ? "train" : "t10k";
        try {
            if (source == Source.SUBSET) {
                String dir = "/fashion-mnist-subset/";
                try (InputStream images = resource(dir + prefix + "-images-idx3-ubyte.gz");
                     InputStream labels = resource(dir + prefix + "-labels-idx1-ubyte.gz")) {
                    return read(images, labels);
                }
            }
            Path dir = Paths.get(DEBIAN_DIR);
            Path images = dir.resolve(prefix + "-images-idx3-ubyte.gz");
            Path labels = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
            if (!Files.isReadable(images) || !Files.isReadable(labels)) {
                throw new IllegalStateException("the full Fashion-MNIST is not installed: " + images + " is missing. "
                        + "Install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), "
                        + "or use Source.SUBSET");
            }
            try (InputStream i = Files.newInputStream(images); InputStream l = Files.newInputStream(labels)) {
                return read(i, l);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = FashionMnist.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("missing resource " + name + " (the committed Fashion-MNIST subset)");
        }
        return in;
    }

    /** Reads a gzipped IDX image file and its label file. */
    static Items read(InputStream imagesGz, InputStream labelsGz) throws IOException {
        try (DataInputStream images = new DataInputStream(new GZIPInputStream(imagesGz));
             DataInputStream labels = new DataInputStream(new GZIPInputStream(labelsGz))) {
            int magic = images.readInt();
            if (magic != 2051) {
                throw new IOException("not an IDX image file: magic " + magic + " (expected 2051)");
            }
            int n = images.readInt();
            int rows = images.readInt();
            int cols = images.readInt();
            if (rows != SIDE || cols != SIDE || n < 1) {
                throw new IOException("expected 28×28 images; got " + n + " of " + rows + "×" + cols);
            }
            int labelMagic = labels.readInt();
            int m = labels.readInt();
            if (labelMagic != 2049 || m != n) {
                throw new IOException("label file: magic " + labelMagic + " (expected 2049), " + m + " labels for " + n
                        + " images");
            }
            byte[][] pixels = new byte[n][SIDE * SIDE];
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                images.readFully(pixels[i]);
                y[i] = labels.readUnsignedByte();
                if (y[i] > 9) {
                    throw new IOException("label " + y[i] + " of item " + i + " is outside 0…9");
                }
            }
            return new Items(pixels, y);
        }
    }
}
