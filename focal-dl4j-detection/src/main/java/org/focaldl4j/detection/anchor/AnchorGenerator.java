package org.focaldl4j.detection.anchor;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * Anchor boxes for one feature map (paper §4, "Anchors"): at every location (h, w) of an H×W map
 * with stride s, A = |scales|·|aspectRatios| boxes centred at ((w + ½)·s, (h + ½)·s), each of area
 * (baseSize·scale)² and height/width = aspect ratio:
 * <pre>
 *   width = baseSize·scale / √ratio,   height = baseSize·scale · √ratio
 * </pre>
 * Boxes are {x1, y1, x2, y2} in input-image pixels. Anchor index (h, w, a) ↦ (h·W + w)·A + a, and
 * anchor a of location (h, w) owns channels a·K … a·K + K − 1 of a head's [N, A·K, H, W] output
 * ({@link AnchorPyramid} numbers the anchors of several levels the same way). The paper uses scales {2^0, 2^(1/3), 2^(2/3)} and ratios {½, 1, 2}
 * (A = 9), base size 4·stride.
 */
public final class AnchorGenerator {

    private static final double[] PAPER_SCALES = {1.0, Math.pow(2, 1.0 / 3), Math.pow(2, 2.0 / 3)};
    private static final double[] PAPER_RATIOS = {0.5, 1.0, 2.0};

    /** The paper's three octave scales 2^0, 2^⅓, 2^⅔ (a new array each call). */
    public static double[] paperScales() {
        return PAPER_SCALES.clone();
    }

    /** The paper's three aspect ratios (height / width) ½, 1, 2 (a new array each call). */
    public static double[] paperRatios() {
        return PAPER_RATIOS.clone();
    }

    /** The most elements a Java array can hold on common JVMs. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final double baseSize;
    private final double[] scales;
    private final double[] aspectRatios;
    private final double stride;

    /**
     * @param baseSize     side of the scale-1, ratio-1 anchor in pixels (&gt; 0)
     * @param scales       scale multipliers (&gt; 0), at least one
     * @param aspectRatios height/width ratios (&gt; 0), at least one
     * @param stride       pixels between neighbouring feature-map locations (&gt; 0)
     */
    public AnchorGenerator(double baseSize, double[] scales, double[] aspectRatios, double stride) {
        require(baseSize > 0 && Double.isFinite(baseSize), "baseSize must be finite and > 0; got " + baseSize);
        require(stride > 0 && Double.isFinite(stride), "stride must be finite and > 0; got " + stride);
        require(scales != null && scales.length > 0, "scales must hold at least one value");
        require(aspectRatios != null && aspectRatios.length > 0, "aspectRatios must hold at least one value");
        for (double v : scales) {
            require(v > 0 && Double.isFinite(v), "scales must be finite and > 0; got " + Arrays.toString(scales));
        }
        for (double v : aspectRatios) {
            require(v > 0 && Double.isFinite(v), "aspectRatios must be finite and > 0; got " + Arrays.toString(aspectRatios));
        }
        // A = |scales|·|ratios| indexes a Java array (of one location's anchors, and with H·W of a map's).
        require((long) scales.length * aspectRatios.length <= MAX_ARRAY, scales.length + " scales × "
                + aspectRatios.length + " aspect ratios make more anchors per location than a Java array holds ("
                + MAX_ARRAY + ")");
        this.baseSize = baseSize;
        this.scales = scales.clone();
        this.aspectRatios = aspectRatios.clone();
        this.stride = stride;
    }

    /** The paper's 9 anchors per location for a pyramid level of the given stride (base size 4·stride). */
    public static AnchorGenerator paper(double stride) {
        return new AnchorGenerator(4 * stride, PAPER_SCALES, PAPER_RATIOS, stride);
    }

    /** Pixels between neighbouring locations of this generator's feature map. */
    public double stride() {
        return stride;
    }

    /** Side of the scale-1, ratio-1 anchor in pixels. */
    public double baseSize() {
        return baseSize;
    }

    /** A, the number of anchors per location. */
    public int anchorsPerLocation() {
        return scales.length * aspectRatios.length;
    }

    /** The A boxes of one location centred at the origin, in order (ratio-major, then scale). */
    double[][] cellTemplates() {
        double[][] t = new double[anchorsPerLocation()][];
        int a = 0;
        for (double ratio : aspectRatios) {
            for (double scale : scales) {
                double side = baseSize * scale;
                double w = side / Math.sqrt(ratio);
                double h = side * Math.sqrt(ratio);
                t[a++] = new double[] {-w / 2, -h / 2, w / 2, h / 2};
            }
        }
        return t;
    }

    /**
     * All H·W·A anchors of an H×W feature map, index (h·W + w)·A + a, each {x1, y1, x2, y2}; refused when there are
     * more than a Java array holds (2³¹ − 9), naming the sizes.
     */
    public double[][] anchors(int height, int width) {
        require(height > 0 && width > 0, "feature map must be at least 1×1; got " + height + "×" + width);
        int a = anchorsPerLocation();
        // H·W < 2^62 fits a long; compared with the limit ÷ A, so that H·W·A is never formed when it could overflow.
        if ((long) height * width > MAX_ARRAY / a) {
            throw new IllegalArgumentException("a " + height + "×" + width + " feature map with " + a + " anchors per "
                    + "location has " + BigInteger.valueOf((long) height * width).multiply(
                    BigInteger.valueOf(a)) + " anchors, more than a Java array holds (" + MAX_ARRAY + ")");
        }
        double[][] templates = cellTemplates();
        double[][] out = new double[height * width * a][];
        for (int h = 0; h < height; h++) {
            for (int w = 0; w < width; w++) {
                double cx = (w + 0.5) * stride;
                double cy = (h + 0.5) * stride;
                for (int k = 0; k < a; k++) {
                    double[] t = templates[k];
                    out[(h * width + w) * a + k] = new double[] {cx + t[0], cy + t[1], cx + t[2], cy + t[3]};
                }
            }
        }
        return out;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
