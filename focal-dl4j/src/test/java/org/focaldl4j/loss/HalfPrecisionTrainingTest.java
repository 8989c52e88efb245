package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;

/**
 * Training a HALF network (docs/losses.md, "Half precision"): DL4J's Adam with its default ε = 1e-8 turns parameters
 * into ±∞ after one step, with the focal losses and with LossBinaryXENT alike. The cause is the updater, not the
 * loss: ε is 0 in HALF, and a gradient entry below ~1.7e-4 has g² = 0 in HALF, so v = 0 while m ≠ 0 and m/(√v + ε)
 * divides by zero (focal loss makes such small gradients common). Adam with ε ≥ 1e-4, momentum SGD, or a FLOAT
 * network train finitely.
 */
class HalfPrecisionTrainingTest {

    /** The parameters after 10 steps of a small HALF (or FLOAT) network. */
    private static INDArray paramsAfterTraining(ILossFunction loss, IUpdater updater, DataType type) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).dataType(type)
                .updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(8).nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(loss).nIn(16).nOut(10).activation(Activation.SIGMOID).build()).build());
        net.init();
        INDArray x = Nd4j.linspace(DataType.DOUBLE, -1, 2.0 / 255, 256).reshape(32, 8).castTo(type);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 32, 10);
        for (int i = 0; i < 32; i++) {
            y.putScalar(i, i % 10, 1);
        }
        for (int step = 0; step < 10; step++) {
            net.fit(x, y.castTo(type));
        }
        return net.params();
    }

    private static boolean finite(INDArray a) {
        return !BooleanIndexing.or(a.castTo(DataType.FLOAT), Conditions.notFinite());
    }

    @Test
    void theCauseIsAdamsEpsilonAndSquaredGradientsUnderflowingInHalf() {
        assertEquals(0.0, Nd4j.scalar(DataType.HALF, 1e-8).getDouble(0), 0.0, "Adam's default ε is 0 in HALF");
        INDArray g = Nd4j.scalar(DataType.HALF, 1e-4);
        assertEquals(0.0, g.mul(g).getDouble(0), 0.0, "g² underflows for |g| below ~1.7e-4");
        assertTrue(Nd4j.scalar(DataType.HALF, 1e-4).getDouble(0) > 0, "ε = 1e-4 survives in HALF");
    }

    /** DL4J's behaviour, pinned: if a DL4J release fixes Adam in HALF, this fails and docs/losses.md must change. */
    @Test
    void adamWithItsDefaultEpsilonBreaksHalfTrainingForAnyLoss() {
        assertFalse(finite(paramsAfterTraining(new LossFocal(), new Adam(1e-3), DataType.HALF)));
        assertFalse(finite(paramsAfterTraining(new LossBinaryXENT(), new Adam(1e-3), DataType.HALF)));
    }

    @Test
    void theDocumentedSettingsTrainHalfNetworksFinitely() {
        for (ILossFunction loss : new ILossFunction[] {new LossFocal(), new LossFocalStar()}) {
            assertTrue(finite(paramsAfterTraining(loss, new Adam(1e-3, 0.9, 0.999, 1e-4), DataType.HALF)), loss + " Adam ε=1e-4");
            assertTrue(finite(paramsAfterTraining(loss, new Nesterovs(1e-2, 0.9), DataType.HALF)), loss + " Nesterov");
            assertTrue(finite(paramsAfterTraining(loss, new Adam(1e-3), DataType.FLOAT)), loss + " FLOAT");
        }
    }
}
