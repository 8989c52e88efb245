package org.focaldl4j.benchmarks;

import java.util.concurrent.TimeUnit;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.focaldl4j.detection.layers.AnchorLossLayer;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A loss layer alone on a fixed head output: one {@code computeGradientAndScore} of a network whose only
 * layer is the loss layer (forward, score and dL/d(head output)), on 8 images of A·K = 9·8 = 72 logit
 * maps of 40×40 (921,600 logits, FLOAT, 0.1 % positive, prior-biased logits). DL4J's {@code CnnLossLayer}
 * with {@code LossBinaryXENT} (the baseline) or {@code LossFocal}, and this library's {@code AnchorLossLayer}
 * with one-hot labels or integer labels per anchor (expanded to one-hot inside the layer).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LossLayerBenchmark {

    public static final String CNN_XENT = "CnnLossLayer + LossBinaryXENT";
    public static final String CNN_FOCAL = "CnnLossLayer + LossFocal";
    public static final String ANCHOR = "AnchorLossLayer + LossFocal";
    public static final String ANCHOR_INTEGER = "AnchorLossLayer + LossFocal, integer labels";

    static final int N = 8;
    static final int A = 9;
    static final int K = 8;
    static final int H = 40;
    static final int W = 40;

    @Param({CNN_XENT, CNN_FOCAL, ANCHOR, ANCHOR_INTEGER})
    public String layer;

    private MultiLayerNetwork net;

    @Setup(Level.Trial)
    public void setUp() {
        Layer lossLayer;
        switch (layer) {
            case CNN_XENT:
                lossLayer = new CnnLossLayer.Builder().activation(Activation.SIGMOID).lossFunction(new LossBinaryXENT()).build();
                break;
            case CNN_FOCAL:
                lossLayer = new CnnLossLayer.Builder().activation(Activation.SIGMOID).lossFunction(new LossFocal()).build();
                break;
            case ANCHOR:
                lossLayer = new AnchorLossLayer.Builder(new LossFocal()).build();
                break;
            case ANCHOR_INTEGER:
                lossLayer = new AnchorLossLayer.Builder(new LossFocal()).integerLabels(K).build();
                break;
            default:
                throw new IllegalArgumentException("unknown layer " + layer);
        }
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new NoOp()).list().layer(lossLayer).setInputType(InputType.convolutional(H, W, A * K)).build();
        net = new MultiLayerNetwork(conf);
        net.init();
        Nd4j.getRandom().setSeed(2);
        INDArray logits = Nd4j.randn(DataType.FLOAT, N, A * K, H, W).subi(4.6);       // about the prior π = 0.01
        INDArray labels;
        if (layer.equals(ANCHOR_INTEGER)) {
            // class K (background) everywhere but 0.8 % of anchors (about 0.1 % of the A·K channels)
            INDArray u = Nd4j.rand(DataType.FLOAT, N, A, H, W);
            labels = u.lt(0.008).castTo(DataType.FLOAT).muli(-K).addi(K);              // 0 (class 0) or K
        } else {
            labels = Nd4j.rand(DataType.FLOAT, N, A * K, H, W).lt(0.001).castTo(DataType.FLOAT);
        }
        net.setInput(logits);
        net.setLabels(labels);
    }

    @Benchmark
    public double gradientAndScore() {
        net.computeGradientAndScore();
        return net.score();
    }
}
