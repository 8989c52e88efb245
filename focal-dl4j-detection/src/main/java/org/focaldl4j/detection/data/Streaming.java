package org.focaldl4j.detection.data;

/**
 * How {@link LabelledImages#iterator} streams a dataset from disk: {@code channels} (1 or 3, {@link ImageFiles}'
 * conversions), {@code batchSize} images per batch (the last of an epoch may be smaller), the order (file order, or
 * a new permutation each epoch drawn from {@code seed}), horizontal flips (each image of each epoch flipped with
 * probability ½, drawn from the seed too), and {@code workers} background threads decoding up to {@code prefetch}
 * batches ahead; {@code skip} batches of the stream are passed over first, without decoding them (to resume
 * training where a checkpoint left it). Immutable; {@link #of} gives file order, no flip, 2 workers, 2 batches ahead.
 */
public record Streaming(int channels, int batchSize, boolean shuffle, long seed, boolean flip, int workers,
                        int prefetch, long skip) {

    public Streaming {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB); got " + channels);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1; got " + batchSize);
        }
        if (flip && !shuffle) {
            throw new IllegalArgumentException("flips are drawn from the seed: call shuffled(seed) before flipped()");
        }
        if (workers < 1 || workers > 64) {
            throw new IllegalArgumentException("workers must be in [1, 64]; got " + workers);
        }
        if (prefetch < 1 || prefetch > 64) {
            throw new IllegalArgumentException("prefetch must be in [1, 64] batches; got " + prefetch);
        }
        if (skip < 0) {
            throw new IllegalArgumentException("skip must be >= 0 batches; got " + skip);
        }
    }

    /** File order, no flip, 2 workers, 2 batches ahead. */
    public static Streaming of(int channels, int batchSize) {
        return new Streaming(channels, batchSize, false, 0, false, 2, 2, 0);
    }

    /**
     * A new order every epoch: the first epoch's and each {@code reset()}'s are the successive Fisher–Yates
     * permutations drawn from {@code new java.util.Random(seed)}, as {@link DetectionImages#shuffledIterator} draws them.
     */
    public Streaming shuffled(long seed) {
        return new Streaming(channels, batchSize, true, seed, flip, workers, prefetch, skip);
    }

    /**
     * Each image of each epoch flipped left–right with probability ½ (the paper's only augmentation): epoch e's
     * flips are the next n booleans of {@code new java.util.Random(~seed)}, drawn in the epoch's order.
     */
    public Streaming flipped() {
        return new Streaming(channels, batchSize, shuffle, seed, true, workers, prefetch, skip);
    }

    /** {@code workers} decoding threads, up to {@code prefetch} batches ahead. */
    public Streaming background(int workers, int prefetch) {
        return new Streaming(channels, batchSize, shuffle, seed, flip, workers, prefetch, skip);
    }

    /**
     * The stream after its first {@code batches} batches (epochs included: an epoch of n images has ⌈n/B⌉ batches),
     * which are passed over without being read: the batches that follow are those a stream from the start would
     * give after {@code batches} calls of {@code next()}, with a {@code reset()} at each epoch's end.
     */
    public Streaming skipping(long batches) {
        return new Streaming(channels, batchSize, shuffle, seed, flip, workers, prefetch, batches);
    }
}
