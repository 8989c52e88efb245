package org.focaldl4j.detection.data;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Image files as a network reads them: {@link #decode} gives a file's pixels as a row-major [C, H, W] array of
 * values in [0, 1] (sample ÷ 255, or ÷ 65535 for 16-bit samples), C = 1 (grey) or 3 (R, G, B), with the JDK's
 * ImageIO (PNG, JPEG, BMP, GIF; docs/detection.md says why this decoder). The conversions are the lossless ones:
 * <ul>
 *   <li>a grey image read with C = 3 has its grey value in all three channels;</li>
 *   <li>a colour image read with C = 1 is accepted only when R = G = B at every pixel, and refused otherwise (the
 *       network was made for grey images; a luma conversion is the caller's decision);</li>
 *   <li>an alpha channel is accepted only when every pixel is opaque;</li>
 *   <li>palette images are read through their palette.</li>
 * </ul>
 * Anything else (CMYK JPEG, a file ImageIO cannot read, a truncated file, an image of more than
 * {@link #MAX_PIXELS} pixels) is refused with an {@link IOException} naming the file. The reader is the JDK's own
 * for every format it has one for, whatever other ImageIO plug-ins (e.g. TwelveMonkeys, which DataVec brings) the
 * class path registers, so the pixels do not depend on the class path. Stateless.
 */
public final class ImageFiles {

    /**
     * The largest image read: 4096² = 16.8 million pixels (a 12-megapixel photo fits). Decoding one as RGB holds
     * about 0.5 GB at its peak (the decoded image, one band's samples, the three float planes and the output).
     */
    public static final long MAX_PIXELS = 4096L * 4096;

    private ImageFiles() {
    }

    /** A file's width and height in pixels, read from its header without decoding the pixels. */
    public static int[] size(Path file) throws IOException {
        requireFile(file);
        try (ImageInputStream in = open(file)) {
            ImageReader reader = readerOf(in, file);
            try {
                reader.setInput(in, true, true);
                return checkedSize(reader, file);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw unreadable(file, e);
        }
    }

    /** The pixels of {@code file} as [channels, H, W] in [0, 1], row-major; {@code channels} is 1 or 3. */
    public static float[] decode(Path file, int channels) throws IOException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB); got " + channels);
        }
        requireFile(file);
        BufferedImage image;
        try (ImageInputStream in = open(file)) {
            ImageReader reader = readerOf(in, file);
            try {
                reader.setInput(in, true, true);
                checkedSize(reader, file);
                image = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw unreadable(file, e);
        }
        return pixels(image, channels, file.toString());
    }

    /** {@link #decode}'s result for an image already in memory (e.g. decoded by another ImageIO reader). */
    public static float[] fromImage(BufferedImage image, int channels) {
        if (image == null || channels != 1 && channels != 3) {
            throw new IllegalArgumentException("need an image and channels 1 (grey) or 3 (RGB); got "
                    + (image == null ? "no image" : "an image") + " and " + channels);
        }
        try {
            return pixels(image, channels, "the image");
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static void requireFile(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("need an image file; got null");
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such image file");
        }
    }

    private static ImageInputStream open(Path file) throws IOException {
        ImageInputStream in = ImageIO.createImageInputStream(file.toFile());
        if (in == null) {
            throw new IOException(file + ": cannot be opened");
        }
        return in;
    }

    /** The JDK's own reader for the stream's format where there is one, else the first registered. */
    private static ImageReader readerOf(ImageInputStream in, Path file) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            in.close();
            throw new IOException(file + ": not an image format ImageIO reads (PNG, JPEG, BMP, GIF)");
        }
        ImageReader chosen = null;
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            if (chosen == null || r.getClass().getName().startsWith("com.sun.imageio.")
                    && !chosen.getClass().getName().startsWith("com.sun.imageio.")) {
                chosen = r;
            }
        }
        return chosen;
    }

    private static int[] checkedSize(ImageReader reader, Path file) throws IOException {
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if ((long) w * h > MAX_PIXELS) {
            throw new IOException(file + ": " + w + "×" + h + " pixels is more than the " + MAX_PIXELS
                    + " this reader decodes; scale the image down first");
        }
        return new int[] {w, h};
    }

    private static IOException unreadable(Path file, Exception e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return why.startsWith(String.valueOf(file)) ? new IOException(why, e)
                : new IOException(file + ": cannot be decoded (" + why + ")", e);
    }

    /** The samples of {@code image} in [C, H, W] order, after the lossless conversions of the class comment. */
    private static float[] pixels(BufferedImage image, int channels, String file) throws IOException {
        int w = image.getWidth();
        int h = image.getHeight();
        float[][] planes = planes(image, file);       // grey: 1 plane; colour: R, G, B
        checkOpaque(image, file);
        float[] out = new float[channels * h * w];
        if (planes.length == 1) {
            for (int c = 0; c < channels; c++) {
                System.arraycopy(planes[0], 0, out, c * h * w, h * w);
            }
            return out;
        }
        if (channels == 3) {
            for (int c = 0; c < 3; c++) {
                System.arraycopy(planes[c], 0, out, c * h * w, h * w);
            }
            return out;
        }
        for (int p = 0; p < h * w; p++) {
            if (planes[0][p] != planes[1][p] || planes[0][p] != planes[2][p]) {
                throw new IOException(file + ": a colour image (pixel (" + p % w + ", " + p / w + ") has R, G, B = "
                        + planes[0][p] + ", " + planes[1][p] + ", " + planes[2][p] + ") for a grey network; convert "
                        + "the images to grey or build the network with 3 input channels");
            }
        }
        System.arraycopy(planes[0], 0, out, 0, h * w);
        return out;
    }

    /** Grey: one plane; colour: three (R, G, B); values in [0, 1]. */
    private static float[][] planes(BufferedImage image, String file) throws IOException {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        if (image.getColorModel() instanceof ComponentColorModel cm) {
            // Samples straight from the raster: getRGB would pass grey through a colour-space conversion.
            int type = cm.getColorSpace().getType();
            int colours = cm.getNumColorComponents();
            if ((type != ColorSpace.TYPE_GRAY || colours != 1) && (type != ColorSpace.TYPE_RGB || colours != 3)) {
                throw new IOException(file + ": colour space with " + colours + " components (type " + type
                        + ") is neither grey nor RGB; convert the image to sRGB or grey");
            }
            int bits = cm.getComponentSize(0);
            int transfer = raster.getDataBuffer().getDataType();
            if (transfer != DataBuffer.TYPE_BYTE && transfer != DataBuffer.TYPE_USHORT || bits != 8 && bits != 16) {
                throw new IOException(file + ": " + bits + "-bit samples; only 8- and 16-bit images are read");
            }
            float scale = bits == 8 ? 255f : 65535f;
            float[][] planes = new float[colours][];
            for (int c = 0; c < colours; c++) {
                int[] samples = raster.getSamples(0, 0, w, h, c, (int[]) null);
                planes[c] = new float[w * h];
                for (int p = 0; p < w * h; p++) {
                    planes[c][p] = samples[p] / scale;
                }
            }
            return planes;
        }
        // Palette and packed-integer images: their sRGB values through the colour model.
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        float[][] planes = new float[3][w * h];
        for (int p = 0; p < w * h; p++) {
            planes[0][p] = ((argb[p] >> 16) & 0xff) / 255f;
            planes[1][p] = ((argb[p] >> 8) & 0xff) / 255f;
            planes[2][p] = (argb[p] & 0xff) / 255f;
        }
        return planes;
    }

    private static void checkOpaque(BufferedImage image, String file) throws IOException {
        if (image.getColorModel().getTransparency() == Transparency.OPAQUE) {
            return;
        }
        int w = image.getWidth();
        int[] argb = image.getRGB(0, 0, w, image.getHeight(), null, 0, w);
        for (int p = 0; p < argb.length; p++) {
            if (argb[p] >>> 24 != 0xff) {
                throw new IOException(file + ": pixel (" + p % w + ", " + p / w + ") is not opaque (alpha "
                        + (argb[p] >>> 24) + " of 255); transparent images are refused (flatten them first)");
            }
        }
    }
}
