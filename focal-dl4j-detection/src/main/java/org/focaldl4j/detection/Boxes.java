package org.focaldl4j.detection;

import java.util.Arrays;

/** The one check of a box {x1, y1, x2, y2}: four finite values with x2 ≥ x1 and y2 ≥ y1. */
final class Boxes {

    private Boxes() {
    }

    /** Returns {@code box} itself when it is valid; otherwise throws, naming {@code what}. */
    static double[] checked(double[] box, String what) {
        if (box == null || box.length != 4 || !(Double.isFinite(box[0]) && Double.isFinite(box[1]) && Double.isFinite(box[2]) && Double.isFinite(box[3]))
                || !(box[2] >= box[0]) || !(box[3] >= box[1])) {
            throw new IllegalArgumentException(what + " must be a finite {x1, y1, x2, y2} with x2 >= x1 and y2 >= y1; got "
                    + Arrays.toString(box));
        }
        return box;
    }
}
