package org.focaldl4j.examples.experiment;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.focaldl4j.examples.FashionMnist;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Protocol;

/**
 * The experiment commands' {@code key=value} arguments, read strictly: every argument must be key=value with a
 * non-empty key given once, and each value is refused, naming its key, unless it is what the key takes (a number
 * that does not parse, is out of range or is not finite; a boolean other than true or false; an unknown data source).
 */
final class Arguments {

    private Arguments() {
    }

    /** The arguments in their order; refuses anything but key=value and a key given twice. */
    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a == null ? -1 : a.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("arguments are key=value; got \"" + a + "\"");
            }
            if (out.put(a.substring(0, eq), a.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("argument " + a.substring(0, eq) + " is given twice");
            }
        }
        return out;
    }

    /**
     * Sets the protocol setting {@code key} shared by the commands (train, val, test: canvases ≥ 1; data: FULL or
     * SUBSET; pretrain: items ≥ 0, 0 for all; iterations ≥ 1; warmup ≥ 0; grid: rates > 0) and returns true, or
     * returns false for any other key.
     */
    static boolean protocol(Protocol p, String key, String value) {
        switch (key) {
            case "train" -> p.trainCanvases = atLeast(key, value, 1);
            case "val" -> p.valCanvases = atLeast(key, value, 1);
            case "test" -> p.testCanvases = atLeast(key, value, 1);
            case "pretrain" -> p.pretrainItems = atLeast(key, value, 0);
            case "iterations" -> p.iterations = atLeast(key, value, 1);
            case "warmup" -> p.warmup = atLeast(key, value, 0);
            case "grid" -> p.grid = positives(key, value);
            case "data" -> p.data = data(value);
            default -> {
                return false;
            }
        }
        return true;
    }

    static int atLeast(String key, String value, int min) {
        int v;
        try {
            v = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer >= " + min + "; got \"" + value + "\"");
        }
        if (v < min) {
            throw new IllegalArgumentException(key + " must be an integer >= " + min + "; got " + v);
        }
        return v;
    }

    static double positive(String key, String value) {
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a finite number > 0; got \"" + value + "\"");
        }
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(key + " must be a finite number > 0; got " + value);
        }
        return v;
    }

    /** Comma-separated finite numbers > 0, at least one. */
    static double[] positives(String key, String value) {
        return Arrays.stream(value.split(",", -1)).mapToDouble(v -> positive(key, v)).toArray();
    }

    /** Comma-separated integers ≥ {@code min}, at least one. */
    static int[] integers(String key, String value, int min) {
        return Arrays.stream(value.split(",", -1)).mapToInt(v -> atLeast(key, v, min)).toArray();
    }

    static boolean bool(String key, String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + " is true or false; got \"" + value + "\"");
        };
    }

    static FashionMnist.Source data(String value) {
        try {
            return FashionMnist.Source.valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("data is " + Arrays.toString(FashionMnist.Source.values()) + "; got \""
                    + value + "\"");
        }
    }
}
