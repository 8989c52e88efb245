package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused kernel chosen for this JVM: the Vector API one only with the module and with hardware FMA (its
 * arithmetic is FMA throughout; without the instruction every lane would run {@code Math.fma}'s software
 * fallback). Runs in the normal JVM, without the module, and with {@code -XX:-UseFMA} (surefire executions).
 */
class KernelChoiceTest {

    @Test
    void theVectorKernelNeedsTheModuleAndHardwareFma() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean fma = !"false".equals(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("UseFMA").getValue());
        assertEquals(module && fma, KernelChoice.vectorized(), KernelChoice.describe());
        if (module && !fma) {
            assertTrue(KernelChoice.describe().contains("fused multiply-add"), KernelChoice.describe());
        }
        // whichever kernel it is, it agrees with the op path
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.FLOAT, 9, 37).muli(4);
        INDArray y = Nd4j.rand(DataType.FLOAT, 9, 37).lt(0.2).castTo(DataType.FLOAT);
        INDArray fused = new LossFocal().computeGradient(y, x, new ActivationSigmoid(), null);
        INDArray ops = LossFocal.builder().path(ExecutionPath.OPS).build().computeGradient(y, x, new ActivationSigmoid(), null);
        assertTrue(fused.equalsWithEps(ops, 1e-5), "fused = ops");
    }
}
