package org.focaldl4j.benchmarks;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.model.Backbones;
import org.focaldl4j.detection.model.RetinaNet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The training step of the command line's {@code --backbone resnet18} detector at 256×256 (RGB, 10 classes, P3–P7,
 * FPN and heads of 64 channels, Adam): median wall time of 10 steps after 3 warm-up steps, at batch 16 and 4, on
 * random images with 1–4 random boxes each. ND4J's default build and thread count. Run:
 * {@code mvn -B -q -pl benchmarks exec:java@step -Dexec.mainClass=org.focaldl4j.benchmarks.ResNetStep}.
 */
public final class ResNetStep {

    private ResNetStep() {
    }

    public static void main(String[] args) {
        System.out.println("| backbone | input | batch | median step (s) | images/s |");
        System.out.println("|---|---|---|---|---|");
        for (int batch : new int[] {16, 4}) {
            RetinaNet r = RetinaNet.builder().input(256, 256, 3).classes(10).backbone(Backbones.resnet(18, false))
                    .anchors(AnchorPyramid.paper(8, 16, 32, 64, 128)).fpnChannels(64).heads(2, 64).weightDecay(0)
                    .seed(1).build();
            ComputationGraph net = r.network();
            Random random = new Random(1);
            double[][][] boxes = new double[batch][][];
            int[][] classes = new int[batch][];
            for (int i = 0; i < batch; i++) {
                int n = 1 + random.nextInt(4);
                boxes[i] = new double[n][];
                classes[i] = new int[n];
                for (int b = 0; b < n; b++) {
                    double x = random.nextInt(160);
                    double y = random.nextInt(160);
                    boxes[i][b] = new double[] {x, y, x + 24 + random.nextInt(72), y + 24 + random.nextInt(72)};
                    classes[i][b] = random.nextInt(10);
                }
            }
            INDArray[] t = r.targets().batch(boxes, classes);
            MultiDataSet data = new MultiDataSet(new INDArray[] {Nd4j.rand(DataType.FLOAT, batch, 3, 256, 256)},
                    new INDArray[] {t[0], t[1]}, null, new INDArray[] {null, t[2]});
            double[] seconds = new double[13];
            for (int step = 0; step < seconds.length; step++) {
                long start = System.nanoTime();
                net.fit(data);
                seconds[step] = (System.nanoTime() - start) / 1e9;
            }
            double[] measured = Arrays.copyOfRange(seconds, 3, seconds.length);
            Arrays.sort(measured);
            double median = (measured[4] + measured[5]) / 2;
            System.out.printf(Locale.ROOT, "| ResNet-18 | 256×256×3 | %d | %.2f | %.1f |%n", batch, median, batch / median);
        }
    }
}
