package org.focaldl4j.detection.layers;

import java.util.Arrays;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How the anchor layers turn a dense head's activations into the 2-D [rows, channels] arrays a loss
 * reads, and back. Two layouts:
 * <ul>
 *   <li>rank 4, one feature map: [N, C, H, W] ({@link CNN2DFormat#NCHW}) or [N, H, W, C] (NHWC); rows
 *       (n, h, w);</li>
 *   <li>rank 3, all pyramid levels at once: [N, C, M] with M the locations of every level (see
 *       {@code AnchorPyramid}); rows (n, m).</li>
 * </ul>
 * Rows of one image are contiguous, in location order, so row r holds anchors A·(r mod M) + a.
 */
final class AnchorLayout {

    private AnchorLayout() {
    }

    /** [N, C, …] activations → [rows, C], a new 'c'-ordered array. */
    static INDArray to2d(INDArray x, CNN2DFormat format) {
        INDArray channelsLast;
        if (x.rank() == 3) {
            channelsLast = x.permute(0, 2, 1);                                   // [N, M, C]
        } else {
            channelsLast = format == CNN2DFormat.NCHW ? x.permute(0, 2, 3, 1) : x;
        }
        long c = channelsLast.size(channelsLast.rank() - 1);
        return channelsLast.dup('c').reshape('c', channelsLast.length() / c, c);
    }

    /** Inverse of {@link #to2d}: [rows, C] → an array of {@code shape} (the activations' shape). */
    static INDArray back(INDArray x2d, long[] shape, CNN2DFormat format) {
        if (shape.length == 3) {
            return x2d.dup('c').reshape('c', shape[0], shape[2], shape[1]).permute(0, 2, 1).dup('c');
        }
        long n = shape[0];
        long c = format == CNN2DFormat.NCHW ? shape[1] : shape[3];
        long h = format == CNN2DFormat.NCHW ? shape[2] : shape[1];
        long w = format == CNN2DFormat.NCHW ? shape[3] : shape[2];
        INDArray nhwc = x2d.dup('c').reshape('c', n, h, w, c);
        return format == CNN2DFormat.NCHW ? nhwc.permute(0, 3, 1, 2).dup('c') : nhwc;
    }

    /** The channel axis of an activation of this rank and format. */
    static int channelAxis(int rank, CNN2DFormat format) {
        return rank == 3 || format == CNN2DFormat.NCHW ? 1 : 3;
    }

    /** Locations per image: H·W (rank 4) or M (rank 3). */
    static long locations(long[] shape, CNN2DFormat format) {
        if (shape.length == 3) {
            return shape[2];
        }
        return format == CNN2DFormat.NCHW ? shape[2] * shape[3] : shape[1] * shape[2];
    }

    /**
     * A mask as a 2-D mask of the rows: any array of the activations' layout with C' channels → [rows, C'];
     * per location ([N, H, W] for rank 4, [N, M] for rank 3) or per image ([N, 1]) → [rows, 1]; null for none.
     */
    static INDArray mask2d(INDArray mask, long[] shape, CNN2DFormat format, String who) {
        if (mask == null) {
            return null;
        }
        long n = shape[0];
        long locations = locations(shape, format);
        if (mask.rank() == shape.length && mask.size(0) == n && sameLocations(mask, shape, format)) {
            return to2d(mask, format);                                           // per channel, or a single channel
        }
        if (perLocation(mask, shape, format)) {
            return mask.dup('c').reshape('c', n * locations, 1);                 // [N, H, W] or [N, M]: per location
        }
        if (mask.rank() == 2 && mask.size(0) == n && mask.size(1) == 1) {
            return Nd4j.ones(mask.dataType(), n, locations).muliColumnVector(mask).reshape('c', n * locations, 1);
        }
        throw new IllegalArgumentException(who + " mask shape " + Arrays.toString(mask.shape())
                + (shape.length == 3 ? " must be [N, C', M] with the activations' M, [N, M] or [N, 1]"
                : " must be the labels' shape, [N, 1, H, W] / [N, H, W, 1], [N, H, W] or [N, 1]")
                + "; input shape " + Arrays.toString(shape) + (shape.length == 4 ? " (" + format + ")" : ""));
    }

    /** [N, H, W] for rank-4 input (either format), [N, M] for rank 3. */
    private static boolean perLocation(INDArray mask, long[] shape, CNN2DFormat format) {
        if (mask.size(0) != shape[0]) {
            return false;
        }
        if (shape.length == 3) {
            return mask.rank() == 2 && mask.size(1) == shape[2];
        }
        long h = format == CNN2DFormat.NCHW ? shape[2] : shape[1];
        long w = format == CNN2DFormat.NCHW ? shape[3] : shape[2];
        return mask.rank() == 3 && mask.size(1) == h && mask.size(2) == w;
    }

    private static boolean sameLocations(INDArray mask, long[] shape, CNN2DFormat format) {
        if (shape.length == 3) {
            return mask.size(2) == shape[2];
        }
        return format == CNN2DFormat.NCHW ? mask.size(2) == shape[2] && mask.size(3) == shape[3]
                : mask.size(1) == shape[1] && mask.size(2) == shape[2];
    }
}
