package org.focaldl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.focaldl4j.loss.AbstractFocalLoss;
import org.focaldl4j.loss.FocalVariant;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.focaldl4j.loss.LossTerms;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The library's shape, checked: what it ships (two packages, no DL4J layer code), what it makes public,
 * and that no subclass can give one backend path other maths than another.
 */
class ArchitectureTest {

    private static Path classesDir() throws Exception {
        return Paths.get(LossFocal.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<Path> classFiles() throws Exception {
        try (Stream<Path> s = Files.walk(classesDir())) {
            return s.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
    }

    @Test
    void theJarHoldsTheLossesAndTheSameDiffTwinOnly() throws Exception {
        Set<String> packages = new TreeSet<>();
        for (Path p : classFiles()) {
            packages.add(classesDir().relativize(p.getParent()).toString().replace('/', '.'));
        }
        assertEquals(Set.of("org.focaldl4j.loss", "org.focaldl4j.samediff"), packages);
    }

    @Test
    void noClassReferencesDl4jsLayerCode() throws Exception {
        // The compile dependency is nd4j-api alone: no class may name org.deeplearning4j (layers, networks).
        for (Path p : classFiles()) {
            String bytes = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
            assertFalse(bytes.contains("org/deeplearning4j/"), p + " references org.deeplearning4j");
        }
    }

    @Test
    void thePublicApiIsTheProduct() throws Exception {
        Set<String> publicTypes = new TreeSet<>();
        for (Path p : classFiles()) {
            String name = classesDir().relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
            Class<?> c = Class.forName(name, false, getClass().getClassLoader());
            boolean visible = Modifier.isPublic(c.getModifiers())
                    && (c.getEnclosingClass() == null || Modifier.isPublic(c.getEnclosingClass().getModifiers()));
            if (visible) {
                publicTypes.add(name);
            }
        }
        assertEquals(new TreeSet<>(List.of(
                "org.focaldl4j.loss.AbstractFocalLoss", "org.focaldl4j.loss.AbstractFocalLoss$BaseBuilder",
                "org.focaldl4j.loss.ExecutionPath", "org.focaldl4j.loss.FocalInit", "org.focaldl4j.loss.FocalParameters",
                "org.focaldl4j.loss.FocalVariant", "org.focaldl4j.loss.FusedFocalLoss",
                "org.focaldl4j.loss.FusedFocalLoss$FusedBuilder",
                "org.focaldl4j.loss.LossCategoricalFocal", "org.focaldl4j.loss.LossCategoricalFocal$Builder",
                "org.focaldl4j.loss.LossFocal", "org.focaldl4j.loss.LossFocal$Builder",
                "org.focaldl4j.loss.LossFocalStar", "org.focaldl4j.loss.LossFocalStar$Builder",
                "org.focaldl4j.loss.LossTerms",
                "org.focaldl4j.samediff.FocalLossOps", "org.focaldl4j.samediff.SameDiffFocalLoss",
                "org.focaldl4j.samediff.SameDiffFocalLoss$Builder")),
                publicTypes);
    }

    @Test
    void theLossesAreFinalAndTheFusedHookIsPackagePrivate() throws Exception {
        for (Class<?> c : List.of(LossFocal.class, LossCategoricalFocal.class, LossFocalStar.class,
                SameDiffFocalLoss.class)) {
            assertTrue(Modifier.isFinal(c.getModifiers()), c + " must be final");
        }
        Method fused = AbstractFocalLoss.class.getDeclaredMethod("fusedLogitPass", INDArray.class, INDArray.class,
                INDArray.class, INDArray.class, boolean.class);
        int m = fused.getModifiers();
        assertFalse(Modifier.isPublic(m) || Modifier.isProtected(m) || Modifier.isPrivate(m),
                "fusedLogitPass must be package-private, so that only the library's own final classes have a fused kernel");
    }

    /** A user's variant: ½·BCE from logits, written outside the library's package. */
    static final class HalfCrossEntropy extends AbstractFocalLoss {
        HalfCrossEntropy() {
            super(null, 0, DEFAULT_CLIP_EPSILON);
        }

        @Override
        protected FocalVariant variant() {
            return FocalVariant.SIGMOID;
        }

        @Override
        protected LossTerms fromLogits(INDArray x, INDArray y, INDArray multiplier, boolean wantScore,
                                       boolean wantGradient) {
            INDArray bce = Transforms.log1p(Transforms.exp(Transforms.abs(x, true).negi(), false), false)
                    .addi(Transforms.relu(x, true)).subi(x.mul(y)).muli(0.5);
            INDArray grad = Transforms.sigmoid(x, true).subi(y).muli(0.5);
            if (multiplier != null) {
                bce.muli(multiplier);
                grad.muli(multiplier);
            }
            return new LossTerms(wantScore ? bce : null, wantGradient ? grad : null);
        }

        @Override
        public String toString() {
            return "HalfCrossEntropy";
        }
    }

    @Test
    void aVariantRunsItsOwnMathsOnEveryPath() {
        // FLOAT, contiguous, sigmoid on the CPU: the arrays LossFocal would send to its fused kernel.
        INDArray x = Nd4j.linspace(-6, 6, 64, DataType.FLOAT).reshape(8, 8);
        INDArray y = x.gt(0).castTo(DataType.FLOAT);
        HalfCrossEntropy variant = new HalfCrossEntropy();
        LossFocal bce = new LossFocal(-1, 0);                         // plain BCE: twice the variant
        ActivationSigmoid act = new ActivationSigmoid();
        assertEquals(0.5 * bce.computeScore(y, x, act, null, false), variant.computeScore(y, x, act, null, false),
                1e-5 * bce.computeScore(y, x, act, null, false));
        INDArray expected = bce.computeGradient(y, x, act, null).mul(0.5);
        INDArray actual = variant.computeGradient(y, x, act, null);
        assertTrue(expected.equalsWithEps(actual, 1e-6), expected + " vs " + actual);
    }
}
