package org.focaldl4j.detection.data;

import java.util.NoSuchElementException;

import org.focaldl4j.detection.anchor.AnchorTargets;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * {@link DetectionImages#iterator}: the images in batches with their {@link AnchorTargets#batch}, in order, or with a
 * shuffler in a new permutation each epoch ({@link DetectionImages#shuffledIterator}).
 */
final class TargetIterator implements MultiDataSetIterator {

    private static final long serialVersionUID = 1L;
    private final DetectionImages data;
    private final AnchorTargets targets;
    private final int batchSize;
    private MultiDataSetPreProcessor preProcessor;
    private final java.util.Random shuffler;       // null: in order
    private int[] order;                           // this epoch's permutation, when shuffled
    private int cursor;

    /** Arguments checked by {@link DetectionImages#iterator}. */
    TargetIterator(DetectionImages data, AnchorTargets targets, int batchSize, java.util.Random shuffler) {
        this.data = data;
        this.targets = targets;
        this.batchSize = batchSize;
        this.shuffler = shuffler;
        this.order = shuffler == null ? null : permutation(data.size(), shuffler);
    }

    /** 0..n−1 in the order of a Fisher–Yates shuffle drawn from {@code random}. */
    static int[] permutation(int n, java.util.Random random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
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
        int to = (int) Math.min(data.size(), (long) cursor + num);
        cursor = to;
        INDArray[] t;                                                                       // {classes, deltas, positives}
        INDArray images;
        if (order == null) {
            t = targets.batch(data.boxesOf(from, to), data.classesOf(from, to));
            images = data.images(from, to);
        } else {
            int[] indices = java.util.Arrays.copyOfRange(order, from, to);
            t = targets.batch(data.boxesAt(indices), data.classesAt(indices));
            images = data.imagesAt(indices);
        }
        MultiDataSet ds = new MultiDataSet(new INDArray[] {images}, new INDArray[] {t[0], t[1]}, null,
                new INDArray[] {null, t[2]});
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
        return cursor < data.size();
    }

    @Override
    public void reset() {
        cursor = 0;
        if (shuffler != null) {
            order = permutation(data.size(), shuffler);
        }
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
