package org.focaldl4j.loss;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** Loads the committed reference vectors of {@code src-test-data/} (made by the Python scripts there). */
final class ReferenceVectors {

    /** One reference case. Arrays are DOUBLE, row-major. */
    static final class Case {
        final String name;
        final JsonNode json;
        final INDArray logits;
        final INDArray labels;
        final INDArray weights;
        final INDArray mask;
        final INDArray scoreRows;
        final INDArray gradient;

        Case(JsonNode c) {
            json = c;
            name = c.get("name").asText();
            int rows = c.get("rows").asInt();
            int cols = c.get("cols").asInt();
            logits = matrix(c.get("logits"), rows, cols);
            labels = matrix(c.get("labels"), rows, cols);
            weights = c.get("weights").isNull() ? null : matrix(c.get("weights"), 1, cols);
            mask = c.get("mask").isNull() ? null
                    : matrix(c.get("mask"), c.get("maskShape").get(0).asInt(), c.get("maskShape").get(1).asInt());
            scoreRows = matrix(c.get("scoreRows"), rows, 1);
            gradient = matrix(c.get("gradient"), rows, cols);
        }

        double d(String field) {
            return json.get(field).asDouble();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> load(String resource) {
        try (InputStream in = ReferenceVectors.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource + " (src-test-data/)");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                cases.add(new Case(c));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static INDArray matrix(JsonNode values, int rows, int cols) {
        double[] v = new double[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i).asDouble();
        }
        return Nd4j.create(v, new long[] {rows, cols}, DataType.DOUBLE);
    }

    private ReferenceVectors() {
    }
}
