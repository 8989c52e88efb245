package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.focaldl4j.loss.ExecutionPath;
import org.focaldl4j.loss.FusedFocalLoss;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The README's settings table says what the losses' builders do: each cell is read and held to the code — the
 * default (a no-argument loss's getter), the interval (its ends built, just outside them refused), "finite" (NaN and
 * ±∞ refused), and the builder methods it names. A cell "as `LossFocal`" means the LossFocal cell of its row.
 */
class ReadmeSettingsTableTest {

    private static final List<Class<? extends FusedFocalLoss>> LOSSES = List.of(LossFocal.class,
            LossCategoricalFocal.class, LossFocalStar.class);

    /** "2; in [0, 1000]", "0.25; in [0, 1], or −1 for off", "2; in (0, 1000]", "1; finite". */
    private static final Pattern NUMBER_CELL = Pattern.compile(
            "(-?[0-9.]+); (?:in ([\\[(])(-?[0-9.]+), (-?[0-9.]+)([\\])])(, or −1 for off)?|(finite))");

    /** setting → the three cells (LossFocal, LossCategoricalFocal, LossFocalStar), "as `LossFocal`" resolved. */
    private static Map<String, String[]> table() throws IOException {
        List<String> lines = Files.readAllLines(Paths.get("..", "README.md"), StandardCharsets.UTF_8);
        int header = lines.indexOf("| setting | `LossFocal` | `LossCategoricalFocal` | `LossFocalStar` |");
        assertTrue(header >= 0, "the README's settings table header");
        Map<String, String[]> rows = new LinkedHashMap<>();
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).substring(1, lines.get(i).length() - 1).split("\\|");
            assertEquals(4, cells.length, "four cells: " + lines.get(i));
            String[] values = new String[3];
            for (int c = 0; c < 3; c++) {
                String v = cells[c + 1].trim();
                if (v.endsWith(", as `LossFocal`")) {                    // "0.25, as `LossFocal`": its default, then LossFocal's rule
                    String own = v.substring(0, v.length() - ", as `LossFocal`".length());
                    assertTrue(values[0].startsWith(own + ";"), v + " against " + values[0]);
                    v = "as `LossFocal`";
                }
                values[c] = v.equals("as `LossFocal`") ? values[0] : v;
            }
            rows.put(cells[0].trim(), values);
        }
        return rows;
    }

    @Test
    void everyRowOfTheTableHoldsForEveryLoss() throws Throwable {
        Map<String, String[]> rows = table();
        assertEquals(List.of("α", "γ", "β", "weights (per output column), label smoothing, `clipEpsilon` (other activations)",
                "execution path"), List.copyOf(rows.keySet()), "the table's rows");
        for (int c = 0; c < LOSSES.size(); c++) {
            Class<? extends FusedFocalLoss> loss = LOSSES.get(c);
            for (String setting : List.of("α", "γ", "β")) {
                String cell = rows.get(setting)[c];
                String property = setting.equals("α") ? "alpha" : setting.equals("γ") ? "gamma" : "beta";
                if (cell.equals("–")) {
                    assertThrows(NoSuchMethodException.class, () -> loss.getMethod("get" + capital(property)),
                            loss.getSimpleName() + " has no " + property + ", as the table says");
                } else if (cell.startsWith("per class")) {
                    assertTrue(cell.contains("`alpha(double...)`") && cell.endsWith("default all 1"), cell);
                    assertNull(((LossCategoricalFocal) loss.getConstructor().newInstance()).getAlpha(), "all ones");
                    LossCategoricalFocal weighted = LossCategoricalFocal.builder().alpha(0.5, 2).build();
                    assertArrayEquals(new double[] {0.5, 2}, weighted.getAlpha());
                    refused(loss, property, -0.5);
                } else {
                    numberCell(loss, property, cell);
                }
            }
            String shared = rows.get("weights (per output column), label smoothing, `clipEpsilon` (other activations)")[c];
            assertEquals("`builder()`", shared);
            Object b = builder(loss);
            b = b.getClass().getMethod("weights", org.nd4j.linalg.api.ndarray.INDArray.class).invoke(b,
                    Nd4j.ones(DataType.DOUBLE, 3));
            b = b.getClass().getMethod("labelSmoothing", double.class).invoke(b, 0.1);
            b = b.getClass().getMethod("clipEpsilon", double.class).invoke(b, 1e-3);
            FusedFocalLoss built = (FusedFocalLoss) b.getClass().getMethod("build").invoke(b);
            assertEquals(0.1, built.getLabelSmoothing());
            assertEquals(1e-3, built.getClipEpsilon());
            assertEquals(3, built.getWeights().length());

            assertEquals("`path(AUTO)` (fused CPU kernel where it applies) or `path(OPS)`", rows.get("execution path")[c]);
            assertEquals(List.of(ExecutionPath.AUTO, ExecutionPath.OPS), Arrays.asList(ExecutionPath.values()));
            assertEquals(ExecutionPath.AUTO, loss.getConstructor().newInstance().getPath(), "AUTO is the default");
            Object ops = builder(loss);
            ops = ops.getClass().getMethod("path", ExecutionPath.class).invoke(ops, ExecutionPath.OPS);
            assertEquals(ExecutionPath.OPS, ((FusedFocalLoss) ops.getClass().getMethod("build").invoke(ops)).getPath());
        }
    }

    /** A cell "D; in [lo, hi]" (or "(lo", ", or −1 for off") or "D; finite", held to {@code loss}. */
    private static void numberCell(Class<? extends FusedFocalLoss> loss, String property, String cell) throws Throwable {
        Matcher m = NUMBER_CELL.matcher(cell);
        assertTrue(m.matches(), "a cell of the form 'default; in [lo, hi]' or 'default; finite': " + cell);
        double defaultValue = Double.parseDouble(m.group(1));
        Object defaults = loss.getConstructor().newInstance();
        assertEquals(defaultValue, (double) loss.getMethod("get" + capital(property)).invoke(defaults),
                loss.getSimpleName() + " default " + property);
        if (m.group(7) != null) {                                        // finite
            built(loss, property, -1e300);
            built(loss, property, 1e300);
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                refused(loss, property, bad);
            }
            return;
        }
        double lo = Double.parseDouble(m.group(3));
        double hi = Double.parseDouble(m.group(4));
        if (m.group(2).equals("[")) {
            built(loss, property, lo);
        } else {
            refused(loss, property, lo);
            built(loss, property, Math.nextUp(lo));
        }
        if (m.group(5).equals("]")) {
            built(loss, property, hi);
        } else {
            refused(loss, property, hi);
        }
        refused(loss, property, Math.nextUp(hi));
        refused(loss, property, Math.nextDown(lo));
        refused(loss, property, Double.NaN);
        if (m.group(6) != null) {
            built(loss, property, -1);
        }
    }

    private static Object builder(Class<?> loss) throws Exception {
        return loss.getMethod("builder").invoke(null);
    }

    private static Object build(Class<?> loss, String property, double value) throws Throwable {
        Object b = builder(loss);
        Method setter = property.equals("alpha") && loss == LossCategoricalFocal.class
                ? b.getClass().getMethod(property, double[].class) : b.getClass().getMethod(property, double.class);
        Object arg = setter.getParameterTypes()[0] == double[].class ? new double[] {value, 1} : value;
        try {
            b = setter.invoke(b, arg);
            return b.getClass().getMethod("build").invoke(b);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void built(Class<?> loss, String property, double value) throws Throwable {
        Object l = build(loss, property, value);
        if (loss != LossCategoricalFocal.class || !property.equals("alpha")) {
            assertEquals(value, (double) loss.getMethod("get" + capital(property)).invoke(l),
                    loss.getSimpleName() + " " + property + " " + value);
        }
    }

    private static void refused(Class<?> loss, String property, double value) {
        try {
            build(loss, property, value);
            fail(loss.getSimpleName() + " accepted " + property + " = " + value);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains(property), e.getMessage());
        } catch (Throwable t) {
            fail(loss.getSimpleName() + " " + property + " = " + value + ": " + t);
        }
    }

    private static String capital(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
