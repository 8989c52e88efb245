package org.focaldl4j.benchmarks;

import java.util.concurrent.TimeUnit;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
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
 * One {@code fit()} step of a small dense anchor classification head: 8 images of 16×40×40
 * features → 3×3 conv (32, ReLU) → 3×3 conv to A·K = 9·8 = 72 logit maps (prior-initialised bias)
 * → CnnLossLayer with sigmoid, so the loss sees 8·40·40 = 12,800 rows × 72 anchor-classes (921,600
 * logits, 0.1 % positive).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FitStepBenchmark {

    @Param({"LossFocal", "LossBinaryXENT"})
    public String loss;

    private MultiLayerNetwork net;
    private DataSet data;

    @Setup(Level.Trial)
    public void setUp() {
        int n = 8, c = 16, h = 40, w = 40, ak = 72;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).weightInit(WeightInit.NORMAL).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(c).nOut(32).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(32).nOut(ak).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).biasInit(FocalInit.priorBias(0.01)).build())
                .layer(new CnnLossLayer.Builder().activation(Activation.SIGMOID)
                        .lossFunction(loss.equals("LossFocal") ? new LossFocal() : new LossBinaryXENT()).build())
                .build();
        net = new MultiLayerNetwork(conf);
        net.init();
        Nd4j.getRandom().setSeed(2);
        data = new DataSet(Nd4j.randn(DataType.FLOAT, n, c, h, w),
                Nd4j.rand(DataType.FLOAT, n, ak, h, w).lt(0.001).castTo(DataType.FLOAT));
    }

    @Benchmark
    public double fitStep() {
        net.fit(data);
        return net.score();
    }
}
