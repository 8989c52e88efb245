package org.focaldl4j.detection.anchor;

import java.util.ArrayList;
import java.util.List;

/**
 * Anchors over a feature pyramid, as RetinaNet places them (paper §4): level l has stride s_l and its
 * own {@link AnchorGenerator} (RetinaNet: base size 4·s_l, the same three scales and three ratios on
 * every level), all levels with the same A anchors per location so that one head serves them all. An
 * H×W image gives level l a map of ⌈H/s_l⌉×⌈W/s_l⌉ locations (what stride-s convolutions with
 * {@code ConvolutionMode.Same} produce), and every anchor one flat index:
 * <pre>
 *   i = A · (M_l + h·W_l + w) + a,     M_l = Σ_{j&lt;l} H_j·W_j   (the locations of the levels before l)
 * </pre>
 * so location m = M_l + h·W_l + w runs over all levels in order, and a dense head's output
 * [N, A·K, M] (channel a·K + k at location m) scores anchor A·m + a. Immutable.
 */
public final class AnchorPyramid {

    private final List<AnchorGenerator> levels;

    /** Levels from the finest (smallest stride) to the coarsest; all must have the same A. */
    public AnchorPyramid(List<AnchorGenerator> levels) {
        if (levels == null || levels.isEmpty()) {
            throw new IllegalArgumentException("a pyramid needs at least one level; got " + levels);
        }
        for (int l = 0; l < levels.size(); l++) {
            if (levels.get(l) == null) {
                throw new IllegalArgumentException("a pyramid's levels must not be null; level " + l + " is null");
            }
        }
        this.levels = List.copyOf(levels);
        int a = this.levels.get(0).anchorsPerLocation();
        for (int l = 1; l < this.levels.size(); l++) {
            if (this.levels.get(l).anchorsPerLocation() != a) {
                throw new IllegalArgumentException("every level needs the same number of anchors per location (one "
                        + "head serves all levels); level 0 has " + a + ", level " + l + " has "
                        + this.levels.get(l).anchorsPerLocation());
            }
            if (!(this.levels.get(l).stride() > this.levels.get(l - 1).stride())) {
                throw new IllegalArgumentException("levels must go from the finest to the coarsest stride; level " + l
                        + " has stride " + this.levels.get(l).stride() + " after " + this.levels.get(l - 1).stride());
            }
        }
    }

    /** RetinaNet's anchors on levels of the given strides: base 4·stride, scales 2^0, 2^⅓, 2^⅔, ratios ½, 1, 2. */
    public static AnchorPyramid paper(double... strides) {
        return of(4, strides);
    }

    /**
     * The paper's scales and ratios with a base size of {@code baseFactor}·stride on every level (the paper:
     * 4; smaller for small objects).
     */
    public static AnchorPyramid of(double baseFactor, double... strides) {
        if (!(baseFactor > 0) || !Double.isFinite(baseFactor)) {
            throw new IllegalArgumentException("baseFactor must be finite and > 0; got " + baseFactor);
        }
        if (strides == null) {
            throw new IllegalArgumentException("a pyramid needs strides; got null");
        }
        List<AnchorGenerator> levels = new ArrayList<>();
        for (double s : strides) {
            levels.add(new AnchorGenerator(baseFactor * s, AnchorGenerator.paperScales(), AnchorGenerator.paperRatios(), s));
        }
        return new AnchorPyramid(levels);
    }

    public int levelCount() {
        return levels.size();
    }

    public AnchorGenerator level(int l) {
        checkLevel(l);
        return levels.get(l);
    }

    private void checkLevel(int l) {
        if (l < 0 || l >= levels.size()) {
            throw new IllegalArgumentException("level " + l + " is outside [0, " + levels.size() + ")");
        }
    }

    /** A, anchors per location on every level. */
    public int anchorsPerLocation() {
        return levels.get(0).anchorsPerLocation();
    }

    /** {H_l, W_l} = {⌈H/s_l⌉, ⌈W/s_l⌉}. */
    public int[] mapSize(int level, int imageHeight, int imageWidth) {
        checkLevel(level);
        checkImage(imageHeight, imageWidth);
        double s = levels.get(level).stride();
        double h = Math.ceil(imageHeight / s);
        double w = Math.ceil(imageWidth / s);
        if (h > Integer.MAX_VALUE || w > Integer.MAX_VALUE) {             // a stride below 1: the cast would saturate
            throw new IllegalArgumentException("a " + imageHeight + "x" + imageWidth + " image has a " + h + "x" + w
                    + " map at level " + level + " (stride " + s + "), more locations per side than an int holds");
        }
        return new int[] {(int) h, (int) w};
    }

    /** M_l for l = 0 … L: the first location of each level, and (last entry) the total number of locations M. */
    public int[] locationOffsets(int imageHeight, int imageWidth) {
        int[] offsets = new int[levels.size() + 1];
        for (int l = 0; l < levels.size(); l++) {
            int[] hw = mapSize(l, imageHeight, imageWidth);
            long next = offsets[l] + (long) hw[0] * hw[1];
            // The anchors of all levels, A·M, must be indexable by an int (and fit a Java array); compared with the
            // limit ÷ A so that A·M is never formed when it could overflow a long.
            if (next > AnchorGenerator.MAX_ARRAY / anchorsPerLocation()) {
                throw new IllegalArgumentException("a " + imageHeight + "x" + imageWidth + " image has more than "
                        + (Integer.MAX_VALUE - 8) + " anchors on this pyramid");
            }
            offsets[l + 1] = (int) next;
        }
        return offsets;
    }

    /** M, the locations of all levels of an H×W image. */
    public int locations(int imageHeight, int imageWidth) {
        return locationOffsets(imageHeight, imageWidth)[levels.size()];
    }

    /**
     * All A·M anchors {x1, y1, x2, y2} of an H×W image, by flat index; refused, as by {@link #locationOffsets}, when
     * there are more than 2³¹ − 9.
     */
    public double[][] anchors(int imageHeight, int imageWidth) {
        locationOffsets(imageHeight, imageWidth);                        // refuses sizes whose anchors overflow an array
        List<double[]> out = new ArrayList<>();
        for (int l = 0; l < levels.size(); l++) {
            int[] hw = mapSize(l, imageHeight, imageWidth);
            for (double[] a : levels.get(l).anchors(hw[0], hw[1])) {
                out.add(a);
            }
        }
        return out.toArray(new double[0][]);
    }

    private static void checkImage(int h, int w) {
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("image must be at least 1×1; got " + h + "×" + w);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("AnchorPyramid(A=").append(anchorsPerLocation()).append(", strides");
        for (AnchorGenerator g : levels) {
            sb.append(' ').append(g.stride());
        }
        return sb.append(')').toString();
    }
}
