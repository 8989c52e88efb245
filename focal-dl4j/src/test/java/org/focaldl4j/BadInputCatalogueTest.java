package org.focaldl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.focaldl4j.loss.FocalVariant;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The bad-input catalogue of {@code docs/bad-input.md}: every row there is one entry of {@link #ROWS},
 * run against each loss it applies to. Rejections must be {@link IllegalArgumentException}s whose
 * message names the offending value and what was expected.
 */
class BadInputCatalogueTest {

    /** The losses under test. */
    enum Kind {
        FOCAL, CATEGORICAL, STAR, SAMEDIFF, SAMEDIFF_CATEGORICAL, SAMEDIFF_STAR;

        boolean categorical() {
            return this == CATEGORICAL || this == SAMEDIFF_CATEGORICAL;
        }

        boolean star() {
            return this == STAR || this == SAMEDIFF_STAR;
        }

        ILossFunction loss() {
            return make(this, 0.25, 2, 1);
        }

        IActivation activation() {
            return categorical() ? new ActivationSoftmax() : new ActivationSigmoid();
        }
    }

    static final Set<Kind> ALL = EnumSet.allOf(Kind.class);
    static final Set<Kind> CATEGORICAL = EnumSet.of(Kind.CATEGORICAL, Kind.SAMEDIFF_CATEGORICAL);
    static final Set<Kind> STAR = EnumSet.of(Kind.STAR, Kind.SAMEDIFF_STAR);

    /** One catalogue row: what goes in, and a check run per applicable loss. */
    record Row(String id, Set<Kind> kinds, KindCheck check) {
    }

    interface KindCheck {
        void run(Kind kind) throws Throwable;
    }

    static ILossFunction make(Kind kind, double alpha, double gamma, double beta) {
        switch (kind) {
            case FOCAL:
                return new LossFocal(alpha, gamma);
            case CATEGORICAL:
                return new LossCategoricalFocal(alpha == -1 ? null : new double[] {alpha, 1 - alpha, 0.5}, gamma);
            case STAR:
                return new LossFocalStar(alpha, gamma, beta);
            case SAMEDIFF:
                return new SameDiffFocalLoss(alpha, gamma);
            case SAMEDIFF_CATEGORICAL:
                return SameDiffFocalLoss.categorical(alpha == -1 ? null : new double[] {alpha, 1 - alpha, 0.5}, gamma);
            default:
                return SameDiffFocalLoss.star(alpha, gamma, beta);
        }
    }

    static INDArray x() {
        return Nd4j.linspace(-2, 2, 6, DataType.DOUBLE).reshape(2, 3);
    }

    static INDArray y() {
        return Nd4j.create(new double[][] {{1, 0, 0}, {0, 0, 1}});
    }

    static void rejects(Executable call, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' should mention '" + s + "'");
        }
    }

    static INDArray score(Kind k, INDArray labels, INDArray logits) {
        return k.loss().computeScoreArray(labels, logits, k.activation(), null);
    }

    static final List<Row> ROWS = List.of(
            new Row("B01", ALL, k -> rejects(() -> k.loss().computeScore(Nd4j.zeros(DataType.DOUBLE, 2, 4), x(),
                    k.activation(), null, false), "must have equal shapes: got shapes [2, 4]", "vs [2, 3]")),
            new Row("B02", ALL, k -> rejects(() -> k.loss().computeGradient(Nd4j.zeros(DataType.DOUBLE, 2, 3, 1),
                    Nd4j.zeros(DataType.DOUBLE, 2, 3, 1), k.activation(), null), "rank 2", "[2, 3, 1]")),
            new Row("B03", ALL, k -> rejects(() -> k.loss().computeScore(y().putScalar(1, 2, 1.5), x(), k.activation(),
                    null, false), "[0, 1]", "1.5 at [1, 2]")),
            new Row("B04", ALL, k -> rejects(() -> k.loss().computeGradient(y().putScalar(0, 1, -0.1), x(),
                    k.activation(), null), "[0, 1]", "-0.1 at [0, 1]")),
            new Row("B05", ALL, k -> rejects(() -> k.loss().computeGradientAndScore(y().putScalar(1, 0, Double.NaN), x(),
                    k.activation(), null, false), "NaN at [1, 0]")),
            new Row("B06", CATEGORICAL, k -> rejects(() -> k.loss().computeScore(Nd4j.create(new double[][] {{0.5, 0.2, 0},
                    {0, 1, 0}}), x(), k.activation(), null, false), "sum to 1", "row 0 sums to 0.7")),
            new Row("B07", ALL, k -> {
                if (k.categorical()) {                      // per-class α: class weights ≥ 0
                    rejects(() -> categorical(k, new double[] {0.25, -0.5, 0.5}), "alpha", "alpha[1] = -0.5");
                } else {
                    rejects(() -> make(k, 1.5, 2, 1), "alpha", "1.5");
                }
            }),
            new Row("B08", ALL, k -> {
                if (k.categorical()) {
                    rejects(() -> categorical(k, new double[] {0.25, Double.NaN, 0.5}), "alpha", "NaN");
                } else {
                    rejects(() -> make(k, Double.NaN, 2, 1), "alpha", "NaN");
                }
            }),
            new Row("B09", ALL, k -> rejects(() -> make(k, 0.25, -1, 1), "gamma", "-1.0")),
            new Row("B10", ALL, k -> rejects(() -> make(k, 0.25, Double.NaN, 1), "gamma", "NaN")),
            new Row("B11", STAR, k -> rejects(() -> make(k, 0.25, 0, 1), "gamma", "0.0", "> 0")),
            new Row("B12", STAR, k -> {
                rejects(() -> make(k, 0.25, 2, Double.POSITIVE_INFINITY), "beta", "Infinity");
                rejects(() -> make(k, 0.25, 2, Double.NaN), "beta", "NaN");
            }),
            new Row("B13", ALL, k -> rejects(() -> weighted(k, Nd4j.ones(DataType.DOUBLE, 4)).computeScoreArray(y(),
                    x(), k.activation(), null), "weights has length 4", "nOut = 3")),
            new Row("B14", ALL, k -> rejects(() -> weighted(k, Nd4j.ones(DataType.DOUBLE, 2, 3)), "weights", "[2, 3]",
                    "vector")),
            new Row("B15", CATEGORICAL, k -> rejects(() -> categorical(k, new double[] {0.5, 0.5})
                    .computeScore(y(), x(), k.activation(), null, false), "alpha", "2", "3")),
            new Row("B16", ALL, k -> rejects(() -> k.loss().computeScoreArray(y(), x(), k.activation(),
                    Nd4j.ones(DataType.DOUBLE, 2, 2)), "mask shape [2, 2]", "[2, 1]", "[2, 3]")),
            new Row("B17", ALL, k -> rejects(() -> k.loss().computeScore(y().castTo(DataType.INT), x(), k.activation(),
                    null, false), "labels", "floating-point", "INT")),
            new Row("B18", ALL, k -> rejects(() -> k.loss().computeScore(y(), x().castTo(DataType.INT), k.activation(),
                    null, false), "floating-point", "INT")),
            new Row("B19", ALL, k -> rejects(() -> k.loss().computeGradient(Nd4j.create(DataType.DOUBLE, 0, 3),
                    Nd4j.create(DataType.DOUBLE, 0, 3), k.activation(), null), "empty minibatch", "[0, 3]")),
            new Row("B20", ALL, k -> {
                // Policy: NaN logits are not checked (that would cost a pass); NaN reaches that row only.
                INDArray bad = x().putScalar(0, 1, Double.NaN);
                INDArray rows = score(k, y(), bad);
                assertTrue(Double.isNaN(rows.getDouble(0, 0)), "row 0 of " + rows);
                assertEquals(score(k, y(), x()).getDouble(1, 0), rows.getDouble(1, 0), 0.0, "row 1 untouched");
                INDArray grad = k.loss().computeGradient(y(), bad, k.activation(), null);
                assertTrue(Double.isNaN(grad.getDouble(0, 1)));
                assertEquals(k.loss().computeGradient(y(), x(), k.activation(), null).getRow(1), grad.getRow(1));
            }),
            new Row("B21", ALL, k -> {
                // ±Inf logits: IEEE arithmetic, unchecked: NaN or ±Inf in that row, except LossFocalStar, which
                // gives the limit. Other rows are untouched.
                INDArray inf = x().putScalar(0, 0, Double.POSITIVE_INFINITY);
                INDArray rows = score(k, y(), inf);
                assertEquals(score(k, y(), x()).getDouble(1, 0), rows.getDouble(1, 0), 0.0, "row 1 untouched");
                if (k == Kind.STAR) {
                    assertEquals(score(k, y(), x().putScalar(0, 0, 1e4)).getDouble(0, 0), rows.getDouble(0, 0), 1e-12);
                } else {
                    assertFalse(Double.isFinite(rows.getDouble(0, 0)), "row 0 of " + rows);
                }
            }),
            new Row("B22", ALL, k -> {
                INDArray f = x().dup('f');
                INDArray yf = y().dup('f');
                assertEquals('f', f.ordering());
                assertEquals(score(k, y(), x()), score(k, yf, f));
                assertEquals(k.loss().computeGradient(y(), x(), k.activation(), null),
                        k.loss().computeGradient(yf, f, k.activation(), null));
            }),
            new Row("B23", ALL, k -> {
                INDArray bigX = Nd4j.linspace(-3, 3, 24, DataType.DOUBLE).reshape(4, 6);
                INDArray bigY = Nd4j.zeros(DataType.DOUBLE, 4, 6);
                bigY.putScalar(1, 0, 1).putScalar(3, 4, 1).putScalar(1, 4, 0).putScalar(3, 0, 0);
                bigY.putScalar(1, 2, 0);
                INDArray xv = bigX.get(NDArrayIndex.interval(1, 2, 4), NDArrayIndex.interval(0, 2, 6));   // strided view
                INDArray yv = bigY.get(NDArrayIndex.interval(1, 2, 4), NDArrayIndex.interval(0, 2, 6));
                assertTrue(xv.isView());
                INDArray rows = score(k, yv, xv);
                // A view takes the op path, a contiguous copy may take the fused one: equal to rounding.
                assertArrayEquals(score(k, yv.dup(), xv.dup()).toDoubleVector(), rows.toDoubleVector(), 1e-12);
            }),
            new Row("B24", ALL, k -> rejects(() -> k.loss().computeScore(null, x(), k.activation(), null, false), "labels")),
            new Row("B25", ALL, k -> rejects(() -> k.loss().computeScore(y(), x(), new ActivationIdentity(), null, false),
                    "activation")),
            new Row("B26", EnumSet.of(Kind.FOCAL), k -> {
                rejects(() -> LossFocal.builder().labelSmoothing(1.0).build(), "labelSmoothing", "1.0", "[0, 1)");
                rejects(() -> LossFocal.builder().labelSmoothing(-0.1).build(), "labelSmoothing", "-0.1");
            }),
            new Row("B27", ALL, k -> rejects(() -> k.loss().computeScoreArray(y(), x(), k.activation(),
                    Nd4j.ones(DataType.INT, 2, 1)), "mask", "floating-point", "INT")),
            new Row("B28", ALL, k -> {
                // A JSON property the loss does not know — here "normalization", removed in 0.1.0 — is refused, not dropped.
                String json = NeuralNetConfiguration.mapper().writeValueAsString(k.loss());
                String tampered = json.replaceFirst("\\{", "{\"normalization\":\"POSITIVES\",");
                Throwable e = assertThrows(Exception.class,
                        () -> NeuralNetConfiguration.mapper().readValue(tampered, ILossFunction.class));
                String messages = causes(e);
                assertTrue(messages.contains("no configuration property \"normalization\"")
                        && messages.contains("AnchorLossLayer"), messages);
            }),
            new Row("B29", ALL, k -> {
                // Every property absent, or null: the documented defaults (before: 0 for alpha, gamma, clipEpsilon).
                var mapper = NeuralNetConfiguration.mapper();
                var tree = (org.nd4j.shade.jackson.databind.node.ObjectNode) mapper.readTree(mapper.writeValueAsString(
                        make(k, 0.5, 1, 2)));
                if (k == Kind.SAMEDIFF) {
                    tree.retain("@class");                  // variant absent too: the default, SIGMOID
                } else {
                    tree.retain("@class", "variant");
                }
                assertEquals(defaults(k), mapper.readValue(tree.toString(), ILossFunction.class));
                for (String p : new String[] {"alpha", "gamma", "clipEpsilon", "labelSmoothing"}) {
                    tree.putNull(p);
                }
                assertEquals(defaults(k), mapper.readValue(tree.toString(), ILossFunction.class));
            }),
            new Row("B30", EnumSet.of(Kind.FOCAL, Kind.SAMEDIFF, Kind.SAMEDIFF_CATEGORICAL, Kind.SAMEDIFF_STAR), k -> {
                var mapper = NeuralNetConfiguration.mapper();
                var tree = (org.nd4j.shade.jackson.databind.node.ObjectNode) mapper.readTree(mapper.writeValueAsString(k.loss()));
                String property = k == Kind.FOCAL ? "path" : "variant";
                tree.put(property, "BOGUS");
                String messages = causes(assertThrows(Exception.class,
                        () -> mapper.readValue(tree.toString(), ILossFunction.class)));
                assertTrue(messages.contains(property + " must") && messages.contains("\"BOGUS\""), messages);
            }),
            new Row("B31", ALL, k -> {
                // Java deserialisation validates like the constructor (Spark ships losses Java-serialised).
                ILossFunction good = k.loss();
                assertEquals(good, javaRoundTrip(good));
                ILossFunction badGamma = k.loss();
                setField(badGamma, "gamma", -1.0);
                assertTrue(assertThrows(java.io.InvalidObjectException.class, () -> javaRoundTrip(badGamma))
                        .getMessage().contains("gamma"));
                ILossFunction badSmoothing = k.loss();
                setField(badSmoothing, "labelSmoothing", 1.5);
                assertTrue(assertThrows(java.io.InvalidObjectException.class, () -> javaRoundTrip(badSmoothing))
                        .getMessage().contains("labelSmoothing"));
                ILossFunction badWeights = weighted(k, Nd4j.ones(DataType.DOUBLE, 3));
                setField(badWeights, "weights", Nd4j.create(new double[][] {{1, Double.NaN, 1}}));
                assertTrue(assertThrows(java.io.InvalidObjectException.class, () -> javaRoundTrip(badWeights))
                        .getMessage().contains("weights[1] = NaN"));
                ILossFunction columnWeights = weighted(k, Nd4j.ones(DataType.DOUBLE, 3));
                setField(columnWeights, "weights", Nd4j.ones(DataType.DOUBLE, 3, 1));    // not the constructor's [1, 3]
                assertTrue(assertThrows(java.io.InvalidObjectException.class, () -> javaRoundTrip(columnWeights))
                        .getMessage().contains("[1, nOut] DOUBLE"));
                if (k.categorical()) {
                    ILossFunction badAlpha = categorical(k, new double[] {1, 1, 1});
                    setField(badAlpha, k == Kind.CATEGORICAL ? "alpha" : "classAlpha", new double[] {1, -2, 1});
                    assertTrue(assertThrows(java.io.InvalidObjectException.class, () -> javaRoundTrip(badAlpha))
                            .getMessage().contains("alpha[1] = -2.0"));
                } else {
                    ILossFunction badAlpha = k.loss();
                    setField(badAlpha, "alpha", 7.0);
                    assertTrue(assertThrows(java.io.InvalidObjectException.class, () -> javaRoundTrip(badAlpha))
                            .getMessage().contains("7.0"));
                }
            }),
            new Row("B32", ALL, k -> {
                for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                    INDArray perOutput = Nd4j.ones(DataType.DOUBLE, 2, 3).putScalar(1, k.categorical() ? 0 : 2, bad);
                    if (k.categorical()) {
                        perOutput.getRow(1).assign(bad);
                    }
                    rejects(() -> k.loss().computeScore(y(), x(), k.activation(), perOutput, false), "mask", "finite",
                            bad + " at [1, ");
                    // one row, a per-example mask of NaN: refused (before: the score times 1e-5, through mul(NaN))
                    rejects(() -> k.loss().computeScoreArray(y().getRow(0, true), x().getRow(0, true), k.activation(),
                            Nd4j.create(new double[][] {{bad}})), bad + " at [0, 0]");
                }
                // finite as given, infinite in the compute type: a DOUBLE mask of 1e39 with FLOAT logits
                rejects(() -> k.loss().computeScore(y().castTo(DataType.FLOAT), x().castTo(DataType.FLOAT), k.activation(),
                        Nd4j.create(new double[][] {{1}, {1e39}}), false), "Infinity at [1, 0]");
            }),
            new Row("B33", ALL, k -> {
                rejects(() -> k.loss().computeGradient(y(), x(), k.activation(), Nd4j.create(new double[][] {{1}, {-0.5}})),
                        "mask", ">= 0", "-0.5 at [1, 0]");
                // values other than 0/1 weight the entry, as in DL4J
                INDArray half = k.loss().computeScoreArray(y(), x(), k.activation(), Nd4j.create(new double[][] {{0.5}, {2}}));
                INDArray plain = score(k, y(), x());
                assertEquals(0.5 * plain.getDouble(0, 0), half.getDouble(0, 0), 1e-12);
                assertEquals(2 * plain.getDouble(1, 0), half.getDouble(1, 0), 1e-12);
            }),
            new Row("B34", ALL, k -> {
                rejects(() -> weighted(k, Nd4j.create(new boolean[] {true, false, true})), "weights", "floating-point", "BOOL");
                rejects(() -> weighted(k, Nd4j.create("a", "b", "c")), "weights", "floating-point", "UTF8");
            }),
            new Row("B35", ALL, k -> {
                // One rule in every dtype: labels are checked as given, before a narrowing cast rounds 1 + 1e-9 to 1.
                INDArray labels = y().putScalar(0, 0, 1 + 1e-9);
                for (DataType logits : new DataType[] {DataType.DOUBLE, DataType.FLOAT, DataType.HALF}) {
                    rejects(() -> k.loss().computeScore(labels, x().castTo(logits), k.activation(), null, false),
                            "[0, 1]", "1.000000001 at [0, 0]");
                }
            }),
            new Row("B36", CATEGORICAL, k -> {
                // Row sums of the labels as given, in DOUBLE, ±0.001, whatever the logits' dtype.
                INDArray over = Nd4j.create(new double[][] {{0.5, 0.2, 0.3015}, {0, 1, 0}});
                INDArray within = Nd4j.create(new double[][] {{0.5, 0.2, 0.2995}, {0, 1, 0}});
                for (DataType logits : new DataType[] {DataType.DOUBLE, DataType.FLOAT, DataType.HALF}) {
                    rejects(() -> k.loss().computeScore(over, x().castTo(logits), k.activation(), null, false),
                            "row 0 sums to 1.001");
                    assertTrue(Double.isFinite(k.loss().computeScore(within, x().castTo(logits), k.activation(), null, false)));
                }
            }),
            new Row("B37", ALL, k -> {
                // γ ∈ [0, 1000]: beyond, refused; at 1000, finite for the most extreme finite logits, FLOAT and DOUBLE.
                rejects(() -> make(k, 0.25, 1000.5, 1), "gamma", "1000.5", "1000.0");
                ILossFunction loss = make(k, 0.25, 1000, 1);
                for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
                    double big = type == DataType.DOUBLE ? 1e300 : 1e30;
                    INDArray xs = Nd4j.create(new double[][] {{-big, 0, big}, {big, -1e-3, -big}}).castTo(type);
                    INDArray ys = k.categorical() ? y().castTo(type) : Nd4j.create(new double[][] {{1, 0.5, 0}, {1, 0, 0.3}})
                            .castTo(type);
                    double total = loss.computeScore(ys, xs, k.activation(), null, false);
                    INDArray grad = loss.computeGradient(ys, xs, k.activation(), null);
                    assertTrue(Double.isFinite(total) && total >= 0, type + ": " + total);
                    assertFalse(org.nd4j.linalg.indexing.BooleanIndexing.or(grad,
                            org.nd4j.linalg.indexing.conditions.Conditions.notFinite()), type + ": " + grad);
                }
                if (k.categorical()) {
                    // a row spread beyond the largest finite value (x − max = −∞): still finite, zero-label classes 0
                    for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
                        double big = type == DataType.DOUBLE ? 1e308 : 3e38;
                        INDArray xs = Nd4j.create(new double[][] {{-big, big, 0}}).castTo(type);
                        INDArray ys = Nd4j.create(new double[][] {{0, 1, 0}}).castTo(type);
                        double total = loss.computeScore(ys, xs, k.activation(), null, false);
                        INDArray grad = loss.computeGradient(ys, xs, k.activation(), null);
                        assertTrue(Double.isFinite(total) && total >= 0, type + " spread: " + total);
                        assertFalse(org.nd4j.linalg.indexing.BooleanIndexing.or(grad,
                                org.nd4j.linalg.indexing.conditions.Conditions.notFinite()), type + " spread: " + grad);
                    }
                }
            }),
            new Row("B38", ALL, k -> rejects(() -> weighted(k, Nd4j.createFromArray(1.0, 1e39, 1.0))
                    .computeScore(y().castTo(DataType.FLOAT), x().castTo(DataType.FLOAT), k.activation(), null, false),
                    "weights must fit", "FLOAT", "weights[1] = 1.0E39")),
            new Row("B39", STAR, k -> {
                // FL* at x = −1e308 for a positive: α·(−x − β/γ) = 0.25·(1e308 − 0.5), not +∞ (γ·x overflows).
                INDArray one = Nd4j.create(new double[][] {{1}});
                INDArray rows = make(k, 0.25, 2, 1).computeScoreArray(one, Nd4j.create(new double[][] {{-1e308}}),
                        new ActivationSigmoid(), null);
                assertEquals(2.5e307, rows.getDouble(0, 0), 1e293);
                INDArray grad = make(k, 0.25, 2, 1).computeGradient(one, Nd4j.create(new double[][] {{-1e308}}),
                        new ActivationSigmoid(), null);
                assertEquals(-0.25, grad.getDouble(0, 0), 1e-15);            // −α·(2y − 1)·σ(−u), σ(−u) = 1
            }),
            new Row("B40", EnumSet.of(Kind.FOCAL), k -> {
                // the prior bias log π − log1p(−π), finite for the smallest π (before: −∞)
                assertEquals(Math.log(Double.MIN_VALUE), org.focaldl4j.loss.FocalInit.priorBias(Double.MIN_VALUE), 1e-12);
                assertEquals(-Math.log(99), org.focaldl4j.loss.FocalInit.priorBias(0.01), 1e-14);
                rejects(() -> org.focaldl4j.loss.FocalInit.priorBias(0), "prior", "(0, 1)");
            }),
            new Row("B41", ALL, k -> {
                // A masked entry affects nothing (DL4J's contract), so an "ignore" marker or NaN there is fine; the
                // result equals that of a 0 label there. A bad label where the mask is not 0 is still refused.
                INDArray mask = k.categorical() ? Nd4j.create(new double[][] {{1, 1, 1}, {0, 0, 0}})
                        : Nd4j.create(new double[][] {{1, 0, 1}, {1, 1, 0}});
                INDArray marked = y().dup();
                INDArray zeroed = y().dup();
                if (k.categorical()) {
                    marked.getRow(1).assign(-1).putScalar(1, Double.NaN);
                    zeroed.getRow(1).assign(0);
                } else {
                    marked.putScalar(0, 1, -1).putScalar(1, 2, Double.NaN);
                    zeroed.putScalar(0, 1, 0).putScalar(1, 2, 0);
                }
                ILossFunction loss = k.loss();
                assertEquals(loss.computeScoreArray(zeroed, x(), k.activation(), mask),
                        loss.computeScoreArray(marked, x(), k.activation(), mask));
                assertEquals(loss.computeGradient(zeroed, x(), k.activation(), mask),
                        loss.computeGradient(marked, x(), k.activation(), mask));
                INDArray perExample = Nd4j.create(new double[][] {{1}, {0}});
                INDArray rowMarked = y().dup();
                rowMarked.getRow(1).assign(-1);
                INDArray rowZeroed = y().dup();
                rowZeroed.getRow(1).assign(0);
                assertEquals(loss.computeScoreArray(rowZeroed, x(), k.activation(), perExample),
                        loss.computeScoreArray(rowMarked, x(), k.activation(), perExample));
                assertEquals(loss.computeGradient(rowZeroed, x(), k.activation(), perExample),
                        loss.computeGradient(rowMarked, x(), k.activation(), perExample));
                rejects(() -> loss.computeScore(y().putScalar(0, 0, -1), x(), k.activation(), mask, false),
                        "-1.0 at [0, 0]");
            }),
            new Row("B42", EnumSet.of(Kind.CATEGORICAL), k -> {
                // Per-output masks that vary within a row: refused with softmax (the mask enters the softmax's logits in
                // DL4J's layers), accepted with an element-wise activation such as sigmoid, as LossMCXENT accepts them.
                INDArray varying = Nd4j.create(new double[][] {{1, 0, 1}, {1, 1, 1}});
                rejects(() -> k.loss().computeScore(y(), x(), new ActivationSoftmax(), varying, false), "constant across");
                INDArray masked = k.loss().computeScoreArray(y(), x(), new ActivationSigmoid(), varying);
                INDArray weightedRow = LossCategoricalFocal.builder().alpha(0.25, 0.75, 0.5).gamma(2)
                        .weights(Nd4j.createFromArray(1.0, 0.0, 1.0)).build()
                        .computeScoreArray(y(), x(), new ActivationSigmoid(), null);      // k.loss()'s α, column 1 off
                assertEquals(weightedRow.getDouble(0, 0), masked.getDouble(0, 0), 1e-12);
            }),
            new Row("B43", EnumSet.of(Kind.SAMEDIFF_CATEGORICAL), k -> {
                // The probability path of LossCategoricalFocal, by the twin's second graph: equal to it.
                ILossFunction direct = make(Kind.CATEGORICAL, 0.25, 2, 1);
                IActivation sigmoid = new ActivationSigmoid();
                assertArrayEquals(direct.computeScoreArray(y(), x(), sigmoid, null).toDoubleVector(),
                        k.loss().computeScoreArray(y(), x(), sigmoid, null).toDoubleVector(), 1e-12);
                assertArrayEquals(direct.computeGradient(y(), x(), sigmoid, null).reshape(6).toDoubleVector(),
                        k.loss().computeGradient(y(), x(), sigmoid, null).reshape(6).toDoubleVector(), 1e-12);
            }),
            new Row("B44", ALL, k -> {
                // A contiguous view of a range of rows (offset ≠ 0, default strides) takes the fused kernels, which read it
                // from its offset: the same results as a copy.
                INDArray bigX = Nd4j.linspace(-3, 3, 12, DataType.DOUBLE).reshape(4, 3);
                INDArray bigY = Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}});
                INDArray xv = bigX.get(NDArrayIndex.interval(1, 4), NDArrayIndex.all());
                INDArray yv = bigY.get(NDArrayIndex.interval(1, 4), NDArrayIndex.all());
                assertTrue(xv.isView() && xv.offset() == 3, "test setup: a view with an offset");
                assertArrayEquals(score(k, yv.dup(), xv.dup()).toDoubleVector(), score(k, yv, xv).toDoubleVector(), 1e-12);
                assertArrayEquals(k.loss().computeGradient(yv.dup(), xv.dup(), k.activation(), null).dup().reshape(9)
                        .toDoubleVector(), k.loss().computeGradient(yv, xv, k.activation(), null).dup().reshape(9)
                        .toDoubleVector(), 1e-12);
            }),
            new Row("B45", CATEGORICAL, k -> rejects(() -> (k == Kind.CATEGORICAL
                    ? new LossCategoricalFocal(new double[] {1e39, 1, 1}, 2)
                    : SameDiffFocalLoss.categorical(new double[] {1e39, 1, 1}, 2))
                    .computeScore(y().castTo(DataType.FLOAT), x().castTo(DataType.FLOAT), new ActivationSoftmax(), null,
                            false), "alpha must fit", "FLOAT", "alpha[0] = 1.0E39")),
            new Row("B46", ALL, BadInputCatalogueTest::exactLabelsWithoutClipping));

    /**
     * B46: clipEpsilon 0, an activation (identity) whose output equals the label exactly: the loss there is 0 and
     * the gradient the slope's limit, hand-worked; before, 0·log 0 and 0/0 made them NaN.
     */
    static void exactLabelsWithoutClipping(Kind k) {
        IActivation identity = new ActivationIdentity();
        if (k.categorical()) {
            INDArray z = Nd4j.create(new double[][] {{1, 0, 0.5}, {1, 0.5, 0}});
            INDArray yc = Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}});
            ILossFunction g2 = unclipped(k, 2, 1);
            assertArrayEquals(new double[] {0, 0.25 * Math.log(2)}, g2.computeScoreArray(yc, z, identity, null)
                    .toDoubleVector(), 1e-12);
            assertArrayEquals(new double[] {0, 0, 0, 0, -1.1931471805599454, 0}, g2.computeGradient(yc, z, identity, null)
                    .reshape(6).toDoubleVector(), 1e-12);
            assertArrayEquals(new double[] {-1, 0, 0, 0, -2, 0}, unclipped(k, 0, 1).computeGradient(yc, z, identity, null)
                    .reshape(6).toDoubleVector(), 1e-12);
            // small γ: the limit 0 at p = y = 1 exactly, not the twin's floored tiny^γ
            assertEquals(0.0, unclipped(k, 0.01, 1).computeGradient(yc, z, identity, null).getDouble(0, 0), 0.0);
            // a row the mask excludes, smoothed labels and a p of 0 there: 0, not ∞·0; the other row as if alone
            ILossFunction smoothed = k == Kind.CATEGORICAL
                    ? LossCategoricalFocal.builder().gamma(2).clipEpsilon(0).labelSmoothing(0.1).build()
                    : SameDiffFocalLoss.builder(FocalVariant.CATEGORICAL).gamma(2).clipEpsilon(0).labelSmoothing(0.1).build();
            INDArray zs = Nd4j.create(new double[][] {{1, 0, 0.5}, {0.3, 0.6, 0.1}});
            INDArray rowMask = Nd4j.create(new double[][] {{0}, {1}});
            INDArray masked = smoothed.computeScoreArray(yc, zs, identity, rowMask);
            INDArray alone = smoothed.computeScoreArray(yc.getRow(1, true), zs.getRow(1, true), identity, null);
            assertEquals(0.0, masked.getDouble(0), 0.0);
            assertEquals(alone.getDouble(0), masked.getDouble(1), 1e-12);
            INDArray g = smoothed.computeGradient(yc, zs, identity, rowMask);
            assertArrayEquals(new double[] {0, 0, 0}, g.getRow(0).toDoubleVector(), 0.0);
            assertArrayEquals(smoothed.computeGradient(yc.getRow(1, true), zs.getRow(1, true), identity, null)
                    .toDoubleVector(), g.getRow(1).toDoubleVector(), 1e-12);
            return;
        }
        INDArray z = Nd4j.create(new double[][] {{1, 0, 0.5}});
        INDArray ye = Nd4j.create(new double[][] {{1, 0, 1}});
        if (k.star()) {
            // Near its label FL*'s loss is α_t·e^−β·((1 − p_t)/p_t)^γ/γ: slope 0 (γ = 2), ∓α_t·e^−β (γ = 1), unbounded (γ < 1).
            assertEquals(0.03915771093977786, unclipped(k, 2, 1).computeScore(ye, z, identity, null, false), 1e-12);
            assertArrayEquals(new double[] {0, 0, -0.2689414213699951}, unclipped(k, 2, 1).computeGradient(ye, z,
                    identity, null).toDoubleVector(), 1e-12);
            assertArrayEquals(new double[] {-0.09196986029286058, 0.27590958087858175, -0.2689414213699951},
                    unclipped(k, 1, 1).computeGradient(ye, z, identity, null).toDoubleVector(), 1e-12);
            assertEquals(0.15663084375911143, unclipped(k, 0.5, 1).computeScore(ye, z, identity, null, false), 1e-12);
            rejects(() -> unclipped(k, 0.5, 1).computeGradient(ye, z, identity, null), "no finite gradient",
                    "p = y = 1.0 at [0, 0]", "clipEpsilon");
            return;
        }
        // ℓ = α_t·(1 − p_t)^γ·(−log p_t), α = 0.25: only the entry at p = 0.5 counts.
        assertEquals(0.04332169878499658, unclipped(k, 2, 1).computeScore(ye, z, identity, null, false), 1e-12);
        assertArrayEquals(new double[] {0, 0, -0.29828679513998635}, unclipped(k, 2, 1).computeGradient(ye, z, identity,
                null).toDoubleVector(), 1e-12);
        assertArrayEquals(new double[] {-0.25, 0.75, -0.5}, unclipped(k, 0, 1).computeGradient(ye, z, identity, null)
                .toDoubleVector(), 1e-12);
        // FLOAT with a clipEpsilon that rounds away (1 − 1e-9 is 1.0f): the same limits as clipEpsilon 0.
        ILossFunction tinyEpsilon = k == Kind.FOCAL ? LossFocal.builder().alpha(0.25).gamma(2).clipEpsilon(1e-9).build()
                : SameDiffFocalLoss.builder(FocalVariant.SIGMOID).alpha(0.25).gamma(2).clipEpsilon(1e-9).build();
        assertEquals(0.04332169878499658, tinyEpsilon.computeScore(ye.castTo(DataType.FLOAT), z.castTo(DataType.FLOAT),
                identity, null, false), 1e-6);
        // A per-output mask of 0 at an exact entry: 0 there, not 0·NaN.
        INDArray mask = Nd4j.create(new double[][] {{0, 1, 1}});
        assertArrayEquals(new double[] {0, 0.75, -0.5}, unclipped(k, 0, 1).computeGradient(ye, z, identity, mask)
                .toDoubleVector(), 1e-12);
    }

    /** α 0.25 (categorical: all ones), the given γ and β (FL*), clipEpsilon 0. */
    static ILossFunction unclipped(Kind k, double gamma, double beta) {
        switch (k) {
            case FOCAL:
                return LossFocal.builder().alpha(0.25).gamma(gamma).clipEpsilon(0).build();
            case CATEGORICAL:
                return LossCategoricalFocal.builder().gamma(gamma).clipEpsilon(0).build();
            case STAR:
                return LossFocalStar.builder().alpha(0.25).gamma(gamma).beta(beta).clipEpsilon(0).build();
            case SAMEDIFF:
                return SameDiffFocalLoss.builder(FocalVariant.SIGMOID).alpha(0.25).gamma(gamma).clipEpsilon(0).build();
            case SAMEDIFF_CATEGORICAL:
                return SameDiffFocalLoss.builder(FocalVariant.CATEGORICAL).gamma(gamma).clipEpsilon(0).build();
            default:
                return SameDiffFocalLoss.builder(FocalVariant.STAR).alpha(0.25).gamma(gamma).beta(beta).clipEpsilon(0)
                        .build();
        }
    }

    /** The documented defaults of each kind (what JSON without properties must give). */
    static ILossFunction defaults(Kind k) {
        switch (k) {
            case FOCAL:
                return new LossFocal();
            case CATEGORICAL:
                return new LossCategoricalFocal();
            case STAR:
                return new LossFocalStar();
            case SAMEDIFF:
                return new SameDiffFocalLoss();
            case SAMEDIFF_CATEGORICAL:
                return SameDiffFocalLoss.categorical(null, 2);
            default:
                return SameDiffFocalLoss.star(0.25, 2, 1);
        }
    }

    static Object javaRoundTrip(Object o) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }

    /** Sets a (private, possibly final) field declared by the object's class or a superclass. */
    static void setField(Object o, String name, Object value) throws Exception {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                java.lang.reflect.Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                f.set(o, value);
                return;
            } catch (NoSuchFieldException e) {
                // try the superclass
            }
        }
        throw new NoSuchFieldException(name);
    }

    /** The messages of an exception and its causes, joined. */
    static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    static ILossFunction categorical(Kind k, double[] alpha) {
        return k == Kind.CATEGORICAL ? new LossCategoricalFocal(alpha, 2) : SameDiffFocalLoss.categorical(alpha, 2);
    }

    static ILossFunction weighted(Kind k, INDArray weights) {
        switch (k) {
            case FOCAL:
                return LossFocal.builder().weights(weights).build();
            case CATEGORICAL:
                return LossCategoricalFocal.builder().weights(weights).build();
            case STAR:
                return LossFocalStar.builder().weights(weights).build();
            case SAMEDIFF:
                return SameDiffFocalLoss.builder(FocalVariant.SIGMOID).weights(weights).build();
            case SAMEDIFF_CATEGORICAL:
                return SameDiffFocalLoss.builder(FocalVariant.CATEGORICAL).weights(weights).build();
            default:
                return SameDiffFocalLoss.builder(FocalVariant.STAR).weights(weights).build();
        }
    }

    @TestFactory
    Stream<DynamicTest> catalogue() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Row row : ROWS) {
            for (Kind k : row.kinds()) {
                tests.add(DynamicTest.dynamicTest(row.id() + " " + k, () -> run(row, k)));
            }
        }
        return tests.stream();
    }

    private static void run(Row row, Kind k) throws Throwable {
        try {
            row.check().run(k);
        } catch (AssertionError e) {
            throw new AssertionError(row.id() + " " + k + ": " + e.getMessage(), e);
        }
    }

    /** The document and the code list the same rows. */
    @Test
    void documentListsEveryRow() throws IOException {
        Path doc = Paths.get("..", "docs", "bad-input.md");
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| (B\\d\\d) \\|", Pattern.MULTILINE).matcher(text);   // A rows: focal-dl4j-detection
        while (m.find()) {
            documented.add(m.group(1));
        }
        Set<String> tested = new TreeSet<>();
        ROWS.forEach(r -> tested.add(r.id()));
        assertEquals(tested, documented);
        assertTrue(tested.size() >= 20, "at least 20 rows: " + tested.size());
    }
}
