package org.focaldl4j.detection.box;

import java.util.Arrays;

/**
 * One detection, immutable: the image it belongs to, its class, its finite score and its finite box
 * {x1, y1, x2, y2} in input-image pixels (x2 ≥ x1, y2 ≥ y1).
 */
public final class Detection {

    private final int image;
    private final int classIndex;
    private final double score;
    private final double[] box;

    /**
     * @throws IllegalArgumentException when {@code image} or {@code classIndex} is negative, {@code score} is
     *                                  not finite (NaN or ±∞), or {@code box} is not a finite {x1, y1, x2, y2}
     *                                  with x2 ≥ x1, y2 ≥ y1
     */
    public Detection(int image, int classIndex, double score, double[] box) {
        if (image < 0 || classIndex < 0) {
            throw new IllegalArgumentException("a detection needs image >= 0 and class >= 0; got image " + image
                    + ", class " + classIndex);
        }
        if (!Double.isFinite(score)) {
            // ±∞ would be written to a COCO results file as a string, which no reader (ours, pycocotools') accepts.
            throw new IllegalArgumentException("a detection's score must be finite; got " + score + " (image " + image
                    + ", class " + classIndex + ")");
        }
        this.image = image;
        this.classIndex = classIndex;
        this.score = score;
        this.box = Boxes.checked(box, "the box of a detection").clone();
    }

    public int image() {
        return image;
    }

    public int classIndex() {
        return classIndex;
    }

    public double score() {
        return score;
    }

    /** A copy of the box {x1, y1, x2, y2}. */
    public double[] box() {
        return box.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Detection)) {
            return false;
        }
        Detection d = (Detection) o;
        return image == d.image && classIndex == d.classIndex && Double.compare(score, d.score) == 0
                && Arrays.equals(box, d.box);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * image + classIndex) + Double.hashCode(score)) + Arrays.hashCode(box);
    }

    @Override
    public String toString() {
        return "Detection(image=" + image + ", class=" + classIndex + ", score=" + score + ", box="
                + Arrays.toString(box) + ")";
    }
}
