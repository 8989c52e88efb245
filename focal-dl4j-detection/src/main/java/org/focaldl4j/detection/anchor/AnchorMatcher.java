package org.focaldl4j.detection.anchor;

import java.util.ArrayList;
import java.util.List;

import org.focaldl4j.detection.box.Boxes;

/**
 * Matches anchors to ground-truth boxes as the paper does (§4, "Anchors"): with IoU the intersection over union
 * of an anchor and its best-overlapping box,
 * <pre>
 *   IoU ≥ positiveIou (0.5)            → matched to that box
 *   IoU &lt; negativeIou (0.4)            → {@link #BACKGROUND}
 *   otherwise (in [0.4, 0.5))          → {@link #IGNORED} during training
 * </pre>
 * and, when {@code keepBestAnchor} (default), the anchor(s) with a box's highest IoU (ties: all of them;
 * IoU &gt; 0) are matched too, each to its own best box, so no box is left without an anchor — Detectron's
 * "low-quality matches". The result is torchvision's and detectron2's {@code Matcher}'s: per anchor, the
 * index of its box or a negative code.
 * <p>
 * Crowd regions (COCO's {@code iscrowd} boxes, which label a group of objects without telling them apart): a
 * background anchor that lies at least {@code crowdIoa} (0.7) inside one — its intersection with the region over
 * its own area — is {@link #IGNORED}, since it may well cover an object; matched anchors stay matched. 0.7 is
 * Detectron's {@code CROWD_FILTER_THRESH}, its rule for proposals inside crowds (detectron2 drops crowd boxes from
 * training instead, which makes such anchors background). Immutable.
 */
public final class AnchorMatcher {

    /** Match of a background anchor. */
    public static final int BACKGROUND = -1;
    /** Match of an ignored anchor. */
    public static final int IGNORED = -2;

    private final double positiveIou;
    private final double negativeIou;
    private final boolean keepBestAnchor;
    private final double crowdIoa;

    /** The paper's thresholds: matched ≥ 0.5, background &lt; 0.4, each box keeps its best anchor; crowd IoA 0.7. */
    public AnchorMatcher() {
        this(0.5, 0.4, true);
    }

    /** These thresholds, with crowd IoA 0.7. */
    public AnchorMatcher(double positiveIou, double negativeIou, boolean keepBestAnchor) {
        this(positiveIou, negativeIou, keepBestAnchor, 0.7);
    }

    /** @param crowdIoa in (0, 1]: a background anchor at least this much inside a crowd region is ignored */
    public AnchorMatcher(double positiveIou, double negativeIou, boolean keepBestAnchor, double crowdIoa) {
        if (!(negativeIou >= 0 && negativeIou <= positiveIou && positiveIou <= 1)) {
            throw new IllegalArgumentException("need 0 <= negativeIou <= positiveIou <= 1; got negativeIou = "
                    + negativeIou + ", positiveIou = " + positiveIou);
        }
        if (!(crowdIoa > 0 && crowdIoa <= 1)) {
            throw new IllegalArgumentException("crowdIoa must be in (0, 1]; got " + crowdIoa);
        }
        this.positiveIou = positiveIou;
        this.negativeIou = negativeIou;
        this.keepBestAnchor = keepBestAnchor;
        this.crowdIoa = crowdIoa;
    }

    /**
     * {@link #match(Boxes, Boxes)}, then every {@link #BACKGROUND} anchor at least {@code crowdIoa} inside one of
     * {@code crowd} made {@link #IGNORED}.
     */
    public int[] match(Boxes anchors, Boxes boxes, Boxes crowd) {
        if (crowd == null) {
            throw new IllegalArgumentException("match needs crowd regions (Boxes.of(new double[0][], …) for none); "
                    + "got null");
        }
        int[] matched = match(anchors, boxes);
        for (int i = 0; i < matched.length; i++) {
            for (int r = 0; r < crowd.size() && matched[i] == BACKGROUND; r++) {
                if (anchors.ioa(i, crowd, r) >= crowdIoa) {
                    matched[i] = IGNORED;
                }
            }
        }
        return matched;
    }

    /** For every anchor, the index of the box it is matched to, {@link #BACKGROUND} or {@link #IGNORED}. */
    public int[] match(Boxes anchors, Boxes boxes) {
        if (anchors == null || boxes == null) {
            throw new IllegalArgumentException("match needs anchors and boxes; got " + (anchors == null ? "null" : "")
                    + " anchors and " + (boxes == null ? "null" : "") + " boxes");
        }
        int[] matched = new int[anchors.size()];
        int[] bestBoxOfAnchor = new int[anchors.size()];
        double[] bestIouOfBox = new double[boxes.size()];
        List<List<Integer>> bestAnchorsOfBox = new ArrayList<>();      // the anchors reaching bestIouOfBox (ties)
        for (int b = 0; b < boxes.size(); b++) {
            bestAnchorsOfBox.add(new ArrayList<>());
        }
        for (int i = 0; i < anchors.size(); i++) {
            double best = 0;
            int bestBox = -1;
            for (int b = 0; b < boxes.size(); b++) {
                double v = anchors.iou(i, boxes, b);
                if (v > best) {
                    best = v;
                    bestBox = b;
                }
                if (v > 0 && v >= bestIouOfBox[b]) {
                    if (v > bestIouOfBox[b]) {
                        bestIouOfBox[b] = v;
                        bestAnchorsOfBox.get(b).clear();
                    }
                    bestAnchorsOfBox.get(b).add(i);
                }
            }
            bestBoxOfAnchor[i] = bestBox;
            matched[i] = best >= positiveIou ? bestBox : best < negativeIou ? BACKGROUND : IGNORED;
        }
        if (keepBestAnchor) {
            // An anchor that is some box's best (ties included) is matched too, to its own best box.
            for (List<Integer> anchorsOfBox : bestAnchorsOfBox) {
                for (int i : anchorsOfBox) {
                    if (matched[i] < 0) {
                        matched[i] = bestBoxOfAnchor[i];
                    }
                }
            }
        }
        return matched;
    }

    @Override
    public String toString() {
        return "AnchorMatcher(positiveIou=" + positiveIou + ", negativeIou=" + negativeIou + ", keepBestAnchor="
                + keepBestAnchor + ", crowdIoa=" + crowdIoa + ")";
    }
}
