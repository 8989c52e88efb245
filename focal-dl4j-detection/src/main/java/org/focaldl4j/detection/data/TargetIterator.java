package org.focaldl4j.detection.data;

import java.util.NoSuchElementException;

import org.focaldl4j.detection.anchor.AnchorTargets;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/** {@link DetectionImages#iterator}: the images in order, in batches, with their {@link AnchorTargets#batch}. */
final class TargetIterator implements MultiDataSetIterator {

    private static final long serialVersionUID = 1L;
    private final DetectionImages data;
    private final AnchorTargets targets;
    private final int batchSize;
    private MultiDataSetPreProcessor preProcessor;
    private int cursor;

    /** Arguments checked by {@link DetectionImages#iterator}. */
    TargetIterator(DetectionImages data, AnchorTargets targets, int batchSize) {
        this.data = data;
        this.targets = targets;
        this.batchSize = batchSize;
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
        INDArray[] t = targets.batch(data.boxesOf(from, to), data.classesOf(from, to));   // {classes, deltas, positives}
        MultiDataSet ds = new MultiDataSet(new INDArray[] {data.images(from, to)}, new INDArray[] {t[0], t[1]}, null,
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
