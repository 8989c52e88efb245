package org.focaldl4j.detection.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.focaldl4j.detection.anchor.AnchorTargets;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link LabelledImages#iterator}: each batch's images decoded, letterboxed and given their {@link AnchorTargets} on
 * background threads, at most {@code prefetch} batches ahead of the caller. The epoch's order and flips are drawn
 * on the caller's thread when the epoch starts, so the batches do not depend on thread timing. Idle threads end
 * after a second, so an abandoned iterator holds no thread.
 */
final class FolderIterator implements MultiDataSetIterator {

    private static final long serialVersionUID = 1L;
    private final LabelledImages data;
    private final AnchorTargets targets;
    private final Letterbox letterbox;
    private final Streaming how;
    private final Random shuffler;
    private final Random flipper;
    private final transient ThreadPoolExecutor pool;
    private final ArrayDeque<Future<MultiDataSet>> ahead = new ArrayDeque<>();
    private MultiDataSetPreProcessor preProcessor;
    private int[] order;
    private boolean[] flips;
    private int submitted;          // images of this epoch handed to the workers
    private int taken;              // images of this epoch returned
    private boolean failed;         // a batch of this epoch failed: no more until reset()

    /** Arguments checked by {@link LabelledImages#iterator}. */
    FolderIterator(LabelledImages data, AnchorTargets targets, Streaming how) {
        this.data = data;
        this.targets = targets;
        this.letterbox = new Letterbox(targets.imageWidth());
        this.how = how;
        this.shuffler = how.shuffle() ? new Random(how.seed()) : null;
        this.flipper = how.flip() ? new Random(~how.seed()) : null;
        this.pool = new ThreadPoolExecutor(how.workers(), how.workers(), 1, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "focal-dl4j image decoder");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        long perEpoch = ((long) data.size() + how.batchSize() - 1) / how.batchSize();
        for (long e = 0; e < how.skip() / perEpoch; e++) {
            drawEpoch();                                   // the permutations and flips of the epochs passed over
        }
        drawEpoch();
        submitted = (int) Math.min(data.size(), (how.skip() % perEpoch) * how.batchSize());
        taken = submitted;
        fill();
    }

    /** This epoch's order and flips, drawn from the seed. */
    private void drawEpoch() {
        int n = data.size();
        order = shuffler == null ? identity(n) : TargetIterator.permutation(n, shuffler);
        flips = new boolean[n];
        for (int i = 0; i < n && flipper != null; i++) {
            flips[i] = flipper.nextBoolean();
        }
        submitted = 0;
        taken = 0;
    }

    private void fill() {
        int n = data.size();
        while (ahead.size() < how.prefetch() && submitted < n) {
            submitNext();
        }
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        Arrays.setAll(p, i -> i);
        return p;
    }

    private void submitNext() {
        int from = submitted;
        int to = Math.min(data.size(), from + how.batchSize());
        int[] indices = Arrays.copyOfRange(order, from, to);
        boolean[] flipped = Arrays.copyOfRange(flips, from, to);
        submitted = to;
        ahead.add(pool.submit(() -> batch(indices, flipped)));
    }

    /** Images {@code indices} (flipped where asked) and their targets, as {@link TargetIterator} lays them out. */
    private MultiDataSet batch(int[] indices, boolean[] flipped) throws IOException {
        int c = how.channels();
        int s = letterbox.size();
        long length = (long) indices.length * c * s * s;
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a batch of " + indices.length + " images of " + c + "×" + s + "×" + s
                    + " values is more than a Java array holds; use smaller batches");
        }
        float[] images = new float[(int) length];
        double[][][] boxes = new double[indices.length][][];
        int[][] classes = new int[indices.length][];
        double[][][] crowd = new double[indices.length][][];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            CocoDataset.Image record = data.image(i);
            Letterbox.Placement p = letterbox.place(record.width(), record.height());
            float[] canvas = letterbox.apply(data.pixels(i, c), c, p, flipped[k]);
            System.arraycopy(canvas, 0, images, k * c * s * s, canvas.length);
            boxes[k] = letterbox.boxes(data.boxes(i), p, flipped[k]);
            classes[k] = data.classes(i);
            crowd[k] = letterbox.boxes(data.crowdRegions(i), p, flipped[k]);
        }
        INDArray[] t = targets.batch(boxes, classes, crowd);
        return new MultiDataSet(new INDArray[] {Nd4j.create(images, new long[] {indices.length, c, s, s}, 'c')},
                new INDArray[] {t[0], t[1]}, null, new INDArray[] {null, t[2]});
    }

    @Override
    public MultiDataSet next(int num) {
        if (num != how.batchSize()) {
            throw new IllegalArgumentException("this iterator prepares batches of " + how.batchSize()
                    + " images ahead; got a request for " + num);
        }
        return next();
    }

    @Override
    public MultiDataSet next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more batches in this epoch");
        }
        if (failed) {
            throw new IllegalStateException("a batch of this epoch failed (the exception next() threw); reset() to "
                    + "start the epoch again");
        }
        Future<MultiDataSet> head = ahead.poll();
        if (submitted < data.size()) {
            submitNext();
        }
        MultiDataSet ds;
        try {
            ds = head.get();
        } catch (InterruptedException e) {
            failed = true;
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        } catch (ExecutionException e) {
            failed = true;
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw new UncheckedIOException(io.getMessage(), io);
            }
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
        }
        taken += (int) ds.getFeatures(0).size(0);
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    @Override
    public boolean hasNext() {
        return taken < data.size();
    }

    @Override
    public void reset() {
        for (Future<MultiDataSet> f : ahead) {
            f.cancel(false);
        }
        ahead.clear();
        failed = false;
        drawEpoch();
        fill();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;           // it prefetches itself
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
