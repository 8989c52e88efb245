package org.focaldl4j.detection.data;

import java.util.Arrays;

import org.focaldl4j.detection.box.Boxes;

/**
 * One fixed S×S network input from an image of any size: with s = S / max(W, H) (aspect ratio kept, the longer
 * side becomes S), the image is resampled to w′×h′ = round(s·W)×round(s·H), optionally flipped left–right, and
 * placed at the top left of an S×S canvas of zeros. A box {x1, y1, x2, y2} moves with it by the resampling's own
 * mapping, x·w′/W and y·h′/H, then, when flipped, to {w′ − x2, y1, w′ − x1, y2}; {@link #toOriginal} maps a
 * detection back to the original image's pixels. One size for every image, because a DL4J graph with anchor
 * layers has one anchor count.
 * <p>
 * Scaling is separable and antialiased bilinear with pixel centres at i + ½: output pixel i takes the triangle
 * filter of half-width max(1, 1/s) input pixels around (i + ½)/s − ½, weights normalised — Pillow's
 * {@code Image.resize(BILINEAR)} (and torchvision's with {@code antialias=True}); at s = 1 it copies the image
 * exactly. Immutable.
 */
public final class Letterbox {

    private final int size;

    /** @param size S in [8, 8192], the network's input side */
    public Letterbox(int size) {
        if (size < 8 || size > 8192) {
            throw new IllegalArgumentException("the letterbox side must be in [8, 8192] pixels; got " + size);
        }
        this.size = size;
    }

    public int size() {
        return size;
    }

    /** Where an image of {@code width}×{@code height} lands: its scale and its scaled width and height. */
    public Placement place(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("an image needs width and height >= 1; got " + width + "×" + height);
        }
        double s = (double) size / Math.max(width, height);
        return new Placement(width, height, (int) Math.max(1, Math.min(size, Math.round(s * width))),
                (int) Math.max(1, Math.min(size, Math.round(s * height))));
    }

    /** An image's placement: its original size W×H and its scaled size w′×h′ (each in [1, S]). */
    public record Placement(int width, int height, int scaledWidth, int scaledHeight) {
        public Placement {
            if (width < 1 || height < 1 || scaledWidth < 1 || scaledHeight < 1) {
                throw new IllegalArgumentException("a placement needs sizes >= 1; got " + width + "×" + height + " → "
                        + scaledWidth + "×" + scaledHeight);
            }
        }

        /** w′/W. */
        public double scaleX() {
            return (double) scaledWidth / width;
        }

        /** h′/H. */
        public double scaleY() {
            return (double) scaledHeight / height;
        }
    }

    /**
     * The S×S canvas [C, S, S] (row-major) of an image [C, H, W] (row-major, {@code p}'s original size), flipped
     * left–right when {@code flip}.
     */
    public float[] apply(float[] image, int channels, Placement p, boolean flip) {
        check(p);
        if (image == null || channels < 1 || p == null || image.length != (long) channels * p.height() * p.width()) {
            throw new IllegalArgumentException("apply needs an image of " + channels + " × " + (p == null ? "?"
                    : p.height() + " × " + p.width()) + " values; got " + (image == null ? "null" : image.length));
        }
        float[] out = new float[channels * size * size];
        float[] plane = new float[p.height() * p.width()];
        for (int c = 0; c < channels; c++) {
            System.arraycopy(image, c * plane.length, plane, 0, plane.length);
            float[] scaled = resize(plane, p.width(), p.height(), p.scaledWidth(), p.scaledHeight());
            for (int y = 0; y < p.scaledHeight(); y++) {
                int row = c * size * size + y * size;
                for (int x = 0; x < p.scaledWidth(); x++) {
                    out[row + x] = scaled[y * p.scaledWidth() + (flip ? p.scaledWidth() - 1 - x : x)];
                }
            }
        }
        return out;
    }

    /** Boxes {x1, y1, x2, y2} in the original image's pixels as they land on the canvas (new arrays). */
    public double[][] boxes(double[][] boxes, Placement p, boolean flip) {
        check(p);
        Boxes valid = Boxes.of(boxes, "box");
        double[][] out = new double[valid.size()][];
        double sx = p.scaleX();
        double sy = p.scaleY();
        for (int b = 0; b < out.length; b++) {
            double[] v = valid.get(b);
            out[b] = flip ? new double[] {p.scaledWidth() - sx * v[2], sy * v[1], p.scaledWidth() - sx * v[0], sy * v[3]}
                    : new double[] {sx * v[0], sy * v[1], sx * v[2], sy * v[3]};
        }
        return out;
    }

    /**
     * A box {x1, y1, x2, y2} on the (unflipped) canvas in the original image's pixels: x divided by w′/W, y by h′/H,
     * clipped to [0, W] × [0, H].
     */
    public double[] toOriginal(double[] box, Placement p) {
        check(p);
        double[] v = Boxes.checked(box, "the box");
        double sx = p.scaleX();
        double sy = p.scaleY();
        return Boxes.clip(new double[] {v[0] / sx, v[1] / sy, v[2] / sx, v[3] / sy}, p.width(), p.height());
    }

    /** A placement on this letterbox: scaled sizes at most S. */
    private void check(Placement p) {
        if (p == null || p.scaledWidth() > size || p.scaledHeight() > size) {
            throw new IllegalArgumentException("need a placement on this " + size + "×" + size + " letterbox; got " + p);
        }
    }

    /** One plane of w×h resized to w2×h2: horizontal pass, then vertical (Pillow's order). */
    static float[] resize(float[] plane, int w, int h, int w2, int h2) {
        if (w == w2 && h == h2) {
            return plane.clone();
        }
        float[] across = new float[h * w2];
        Filter fx = new Filter(w, w2);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w2; x++) {
                across[y * w2 + x] = fx.apply(plane, y * w, 1, x);
            }
        }
        float[] out = new float[h2 * w2];
        Filter fy = new Filter(h, h2);
        for (int y = 0; y < h2; y++) {
            for (int x = 0; x < w2; x++) {
                out[y * w2 + x] = fy.apply(across, x, w2, y);
            }
        }
        return out;
    }

    /** The normalised triangle-filter weights of each output index along one axis. */
    private static final class Filter {
        private final int[] first;
        private final double[][] weights;

        Filter(int in, int out) {
            double inverse = (double) in / out;
            double width = Math.max(1.0, inverse);        // the filter's half-width in input pixels
            first = new int[out];
            weights = new double[out][];
            for (int i = 0; i < out; i++) {
                double centre = (i + 0.5) * inverse;
                int lo = Math.max((int) (centre - width + 0.5), 0);
                int hi = Math.min((int) (centre + width + 0.5), in);
                double[] w = new double[hi - lo];
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    double d = Math.abs((j - centre + 0.5) / width);
                    w[j - lo] = d < 1 ? 1 - d : 0;
                    sum += w[j - lo];
                }
                for (int k = 0; k < w.length && sum != 0; k++) {
                    w[k] /= sum;
                }
                first[i] = lo;
                weights[i] = w;
            }
        }

        /** Σ_k w_k · values[offset + (first + k)·stride] for output index i. */
        float apply(float[] values, int offset, int stride, int i) {
            double[] w = weights[i];
            double acc = 0;
            for (int k = 0; k < w.length; k++) {
                acc += w[k] * values[offset + (first[i] + k) * stride];
            }
            return (float) acc;
        }
    }

    @Override
    public String toString() {
        return "Letterbox(" + size + "×" + size + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Letterbox l && l.size == size;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {size});
    }
}
