package org.focaldl4j.detection.data;

import java.util.Arrays;

import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.box.Boxes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A detection dataset in memory: N images [N, C, H, W] (FLOAT) and, per image, its boxes {x1, y1, x2, y2}
 * in pixels and their classes in [0, K). It makes what a RetinaNet-style network trains on —
 * {@link #iterator}: minibatches of images with, for every anchor, the class index, the box deltas and the
 * positive mask ({@link AnchorTargets}); {@link CocoDataset#of} makes its COCO ground truth. Every box is validated (finite, inside the image, positive width and height).
 * Immutable: the arrays are copied in and out.
 */
public final class DetectionImages {

    private final INDArray images;
    private final double[][][] boxes;
    private final int[][] classes;
    private final int numClasses;

    /**
     * @param images     [N, C, H, W] images (copied, as FLOAT)
     * @param boxes      per image, its boxes {x1, y1, x2, y2} (copied)
     * @param classes    per image, the class of each box, in [0, numClasses) (copied)
     * @param numClasses K ≥ 1
     */
    public DetectionImages(INDArray images, double[][][] boxes, int[][] classes, int numClasses) {
        if (images == null || images.rank() != 4) {
            throw new IllegalArgumentException("images must be [N, C, H, W]; got "
                    + (images == null ? "null" : Arrays.toString(images.shape())));
        }
        long n = images.size(0);
        if (boxes == null || classes == null || boxes.length != n || classes.length != n) {
            throw new IllegalArgumentException("need boxes and classes for each of the " + n + " images; got "
                    + (boxes == null ? "null" : boxes.length) + " and " + (classes == null ? "null" : classes.length));
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1; got " + numClasses);
        }
        long h = images.size(2);
        long w = images.size(3);
        this.boxes = new double[(int) n][][];
        this.classes = new int[(int) n][];
        for (int i = 0; i < n; i++) {
            if (boxes[i] == null || classes[i] == null || boxes[i].length != classes[i].length) {
                throw new IllegalArgumentException("image " + i + " needs one class per box; got "
                        + (boxes[i] == null ? "null" : boxes[i].length) + " boxes and "
                        + (classes[i] == null ? "null" : classes[i].length) + " classes");
            }
            this.boxes[i] = new double[boxes[i].length][];
            for (int b = 0; b < boxes[i].length; b++) {
                double[] box = Boxes.checked(boxes[i][b], "box " + b + " of image " + i);
                if (!(box[2] > box[0]) || !(box[3] > box[1]) || box[0] < 0 || box[1] < 0 || box[2] > w || box[3] > h) {
                    throw new IllegalArgumentException("box " + b + " of image " + i + " must have a positive width and "
                            + "height inside the " + w + "×" + h + " image; got " + Arrays.toString(box));
                }
                if (classes[i][b] < 0 || classes[i][b] >= numClasses) {
                    throw new IllegalArgumentException("class of box " + b + " of image " + i + " is " + classes[i][b]
                            + ", outside [0, " + numClasses + ")");
                }
                this.boxes[i][b] = box.clone();
            }
            this.classes[i] = classes[i].clone();
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            this.images = images.castTo(DataType.FLOAT).dup('c');
        }
        this.numClasses = numClasses;
    }

    public int size() {
        return (int) images.size(0);
    }

    public int channels() {
        return (int) images.size(1);
    }

    public int height() {
        return (int) images.size(2);
    }

    public int width() {
        return (int) images.size(3);
    }

    public int numClasses() {
        return numClasses;
    }

    /** Images [from, to) as a new [to − from, C, H, W] array. */
    public INDArray images(int from, int to) {
        checkRange(from, to);
        return images.get(NDArrayIndex.interval(from, to)).dup('c');
    }

    /** The boxes of image i (a copy). */
    public double[][] boxes(int i) {
        checkIndex(i);
        double[][] out = new double[boxes[i].length][];
        for (int b = 0; b < out.length; b++) {
            out[b] = boxes[i][b].clone();
        }
        return out;
    }

    /** The classes of image i's boxes (a copy). */
    public int[] classes(int i) {
        checkIndex(i);
        return classes[i].clone();
    }

    /** Images [from, to) as a new dataset. */
    public DetectionImages subset(int from, int to) {
        checkRange(from, to);
        return new DetectionImages(images.get(NDArrayIndex.interval(from, to)),
                Arrays.copyOfRange(boxes, from, to), Arrays.copyOfRange(classes, from, to), numClasses);
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size()) {
            throw new IllegalArgumentException("image " + i + " is outside [0, " + size() + ")");
        }
    }

    private void checkRange(int from, int to) {
        if (from < 0 || to > size() || from >= to) {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") is not inside [0, " + size() + ")");
        }
    }

    /**
     * Minibatches of {@code batchSize} images in order (the last may be smaller) with their targets for a
     * network whose outputs are [class logits [B, A·K, M], box deltas [B, 4·A, M]]: labels {class indices
     * [B, A, M], box deltas [B, 4·A, M]}, label masks {none, positives [B, A, M]} ({@link AnchorTargets#batch}).
     * Targets are computed as each batch is made; {@link #prefetching} makes them while the network trains.
     *
     * @param targets the detector's targets ({@code RetinaNet.targets()}), for this dataset's image size and classes
     */
    public MultiDataSetIterator iterator(AnchorTargets targets, int batchSize) {
        checkTargets(targets, batchSize);
        return new TargetIterator(this, targets, batchSize, null);
    }

    /**
     * {@link #iterator}, the images in a new random order every epoch: the first epoch's order and each
     * {@code reset()}'s are the successive Fisher–Yates permutations drawn from {@code new java.util.Random(seed)},
     * so the same seed and the same sequence of calls give the same batches on every JVM.
     */
    public MultiDataSetIterator shuffledIterator(AnchorTargets targets, int batchSize, long seed) {
        checkTargets(targets, batchSize);
        return new TargetIterator(this, targets, batchSize, new java.util.Random(seed));
    }

    private void checkTargets(AnchorTargets targets, int batchSize) {
        if (targets == null || batchSize < 1) {
            throw new IllegalArgumentException("iterator needs anchor targets and batchSize >= 1; got " + targets + ", "
                    + batchSize);
        }
        if (targets.imageHeight() != height() || targets.imageWidth() != width() || targets.numClasses() != numClasses) {
            throw new IllegalArgumentException("the targets are for " + targets.imageHeight() + "×" + targets.imageWidth()
                    + " images of " + targets.numClasses() + " classes; this dataset has " + height() + "×" + width()
                    + " images of " + numClasses + " classes");
        }
    }

    /**
     * {@link #iterator} wrapped to prepare {@code queue} batches ahead on a background (daemon) thread. Its
     * batches stay valid after the next one is taken (no workspace reuse). As with any DL4J asynchronous
     * iterator, call {@code hasNext()} before {@code next()}, and {@code shutdown()} when done.
     */
    public AsyncMultiDataSetIterator prefetching(AnchorTargets targets, int batchSize, int queue) {
        if (queue < 1) {
            throw new IllegalArgumentException("queue must be >= 1; got " + queue);
        }
        return new AsyncMultiDataSetIterator(iterator(targets, batchSize), queue, false);
    }

    /** Images {@code indices} (each checked by the caller) as a new [n, C, H, W] array. */
    INDArray imagesAt(int[] indices) {
        long[] shape = images.shape();
        INDArray rows = Nd4j.pullRows(images.reshape('c', shape[0], shape[1] * shape[2] * shape[3]), 1, indices);
        return rows.reshape('c', indices.length, shape[1], shape[2], shape[3]);
    }

    /** The boxes of images {@code indices}, not copied: for the iterator, which only reads them. */
    double[][][] boxesAt(int[] indices) {
        return Arrays.stream(indices).mapToObj(i -> boxes[i]).toArray(double[][][]::new);
    }

    /** The classes of images {@code indices}, not copied: for the iterator, which only reads them. */
    int[][] classesAt(int[] indices) {
        return Arrays.stream(indices).mapToObj(i -> classes[i]).toArray(int[][]::new);
    }

    /** The boxes of images [from, to), not copied: for the iterator, which only reads them. */
    double[][][] boxesOf(int from, int to) {
        return Arrays.copyOfRange(boxes, from, to);
    }

    /** The classes of images [from, to), not copied: for the iterator, which only reads them. */
    int[][] classesOf(int from, int to) {
        return Arrays.copyOfRange(classes, from, to);
    }
}
