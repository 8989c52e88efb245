package org.focaldl4j.detection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A detection dataset in memory: N images [N, C, H, W] (FLOAT) and, per image, its boxes {x1, y1, x2, y2}
 * in pixels and their classes in [0, K). It makes what a RetinaNet-style network trains on —
 * {@link #iterator}: minibatches of images with, for every anchor of an {@link AnchorPyramid}, the class
 * index, the box deltas and the positive mask ({@link AnchorTargets#assign}) — and what COCO evaluation
 * reads ({@link #toCoco}). Every box is validated (finite, inside the image, positive width and height).
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
     * The ground truth as COCO: image ids 1…N (image i has id i + 1), category ids 1…K (class k has id
     * k + 1, named {@code classNames[k]}), non-crowd box annotations with area w·h.
     */
    public CocoDataset toCoco(List<String> classNames) {
        if (classNames == null || classNames.size() != numClasses) {
            throw new IllegalArgumentException("need " + numClasses + " class names; got " + classNames);
        }
        List<CocoDataset.Image> is = new ArrayList<>();
        List<CocoDataset.Annotation> as = new ArrayList<>();
        List<CocoDataset.Category> cs = new ArrayList<>();
        for (int k = 0; k < numClasses; k++) {
            cs.add(new CocoDataset.Category(k + 1, classNames.get(k)));
        }
        long id = 1;
        for (int i = 0; i < size(); i++) {
            is.add(new CocoDataset.Image(i + 1, width(), height()));
            for (int b = 0; b < boxes[i].length; b++) {
                as.add(CocoDataset.Annotation.box(id++, i + 1, classes[i][b] + 1, CocoDataset.fromCorners(boxes[i][b])));
            }
        }
        return new CocoDataset(is, as, cs);
    }

    /**
     * Detections of images 0…N−1 as COCO results, with the ids of {@link #toCoco}: list i holds the detections
     * of image i, whose {@link Detection#image()} must be i (detections of a batch that started at image s have
     * image indices from 0 and must be renumbered by s first).
     */
    public static List<CocoDataset.Result> toCocoResults(List<List<Detection>> perImage) {
        if (perImage == null) {
            throw new IllegalArgumentException("toCocoResults needs a list of detections per image");
        }
        List<CocoDataset.Result> out = new ArrayList<>();
        for (int i = 0; i < perImage.size(); i++) {
            for (Detection d : perImage.get(i)) {
                if (d.image() != i) {
                    throw new IllegalArgumentException("list " + i + " holds a detection of image " + d.image()
                            + "; renumber the detections of a batch by its first image index");
                }
                out.add(CocoDataset.Result.of(d, i + 1L, d.classIndex() + 1L));
            }
        }
        return out;
    }

    /**
     * Minibatches of {@code batchSize} images in order (the last may be smaller) with their targets for a
     * network whose outputs are [class logits [B, A·K, M], box deltas [B, 4·A, M]]: labels {class indices
     * [B, A, M], box deltas [B, 4·A, M]}, label masks {none, positives [B, A, M]}. Targets are computed as
     * each batch is made; wrap it in an {@link AsyncMultiDataSetIterator} (see {@link #prefetching}) to make
     * them while the network trains.
     */
    public MultiDataSetIterator iterator(AnchorPyramid pyramid, AnchorTargets matcher, BoxCoder coder, int batchSize) {
        if (pyramid == null || matcher == null || coder == null || batchSize < 1) {
            throw new IllegalArgumentException("iterator needs a pyramid, a matcher, a box coder and batchSize >= 1; got "
                    + pyramid + ", " + matcher + ", " + coder + ", " + batchSize);
        }
        return new TargetIterator(pyramid, matcher, coder, batchSize);
    }

    /**
     * {@link #iterator} wrapped to prepare {@code queue} batches ahead on a background (daemon) thread. Its
     * batches stay valid after the next one is taken (no workspace reuse). As with any DL4J asynchronous
     * iterator, call {@code hasNext()} before {@code next()}, and {@code shutdown()} when done.
     */
    public AsyncMultiDataSetIterator prefetching(AnchorPyramid pyramid, AnchorTargets matcher, BoxCoder coder,
                                                 int batchSize, int queue) {
        if (queue < 1) {
            throw new IllegalArgumentException("queue must be >= 1; got " + queue);
        }
        return new AsyncMultiDataSetIterator(iterator(pyramid, matcher, coder, batchSize), queue, false);
    }

    private final class TargetIterator implements MultiDataSetIterator {
        private static final long serialVersionUID = 1L;
        private final AnchorPyramid pyramid;
        private final AnchorTargets matcher;
        private final BoxCoder coder;
        private final int batchSize;
        private final double[][] anchors;
        private MultiDataSetPreProcessor preProcessor;
        private int cursor;

        TargetIterator(AnchorPyramid pyramid, AnchorTargets matcher, BoxCoder coder, int batchSize) {
            this.pyramid = pyramid;
            this.matcher = matcher;
            this.coder = coder;
            this.batchSize = batchSize;
            this.anchors = pyramid.anchors(height(), width());
        }

        @Override
        public MultiDataSet next(int num) {
            if (num < 1) {
                throw new IllegalArgumentException("a batch needs num >= 1 images; got " + num);
            }
            if (!hasNext()) {
                throw new NoSuchElementException("no more batches");
            }
            int from = cursor;
            int to = Math.min(size(), cursor + num);
            cursor = to;
            int a = pyramid.anchorsPerLocation();
            int m = anchors.length / a;
            INDArray cls = Nd4j.create(DataType.FLOAT, to - from, a, m);
            INDArray box = Nd4j.create(DataType.FLOAT, to - from, 4L * a, m);
            INDArray pos = Nd4j.create(DataType.FLOAT, to - from, a, m);
            for (int i = from; i < to; i++) {
                AnchorTargets.DenseTargets t = matcher.assign(anchors, a, boxes[i], classes[i], numClasses, coder);
                cls.get(NDArrayIndex.point(i - from)).assign(t.classIndices());
                box.get(NDArrayIndex.point(i - from)).assign(t.boxDeltas());
                pos.get(NDArrayIndex.point(i - from)).assign(t.positives());
            }
            MultiDataSet ds = new MultiDataSet(new INDArray[] {images(from, to)}, new INDArray[] {cls, box}, null,
                    new INDArray[] {null, pos});
            if (preProcessor != null) {
                preProcessor.preProcess(ds);
            }
            return ds;
        }

        @Override
        public MultiDataSet next() {
            return next(batchSize);
        }

        @Override
        public boolean hasNext() {
            return cursor < size();
        }

        @Override
        public void reset() {
            cursor = 0;
        }

        @Override
        public boolean resetSupported() {
            return true;
        }

        @Override
        public boolean asyncSupported() {
            return true;
        }

        @Override
        public void setPreProcessor(MultiDataSetPreProcessor preProcessor) {
            this.preProcessor = preProcessor;
        }

        @Override
        public MultiDataSetPreProcessor getPreProcessor() {
            return preProcessor;
        }
    }
}
