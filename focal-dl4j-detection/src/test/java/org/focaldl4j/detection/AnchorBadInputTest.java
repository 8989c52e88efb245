package org.focaldl4j.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.focaldl4j.loss.LossFocal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The A rows of {@code docs/bad-input.md}: what {@link AnchorLossLayer} refuses, by name. */
class AnchorBadInputTest {

    private static MultiLayerNetwork anchorNet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
                .layer(new AnchorLossLayer.Builder(new LossFocal()).build())
                .setInputType(InputType.convolutional(4, 4, 6)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static void rejects(Executable call, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' should mention '" + s + "'");
        }
    }

    @Test
    void a01LabelsOfAnotherShape() {
        MultiLayerNetwork net = anchorNet();
        rejects(() -> net.score(new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 4), Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 3))),
                "same shape", "[2, 6, 4, 4]", "[2, 6, 4, 3]");
    }

    @Test
    void a02AMaskOfAnUnknownShape() {
        MultiLayerNetwork net = anchorNet();
        DataSet ds = new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 4), Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 4),
                null, Nd4j.ones(DataType.DOUBLE, 2, 3));
        rejects(() -> net.score(ds), "mask shape [2, 3]");
    }

    /** The document and this class list the same A rows. */
    @Test
    void documentListsEveryRow() throws IOException {
        String text = Files.readString(Paths.get("..", "docs", "bad-input.md"), StandardCharsets.UTF_8);
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| (A\\d\\d) \\|", Pattern.MULTILINE).matcher(text);
        while (m.find()) {
            documented.add(m.group(1));
        }
        Set<String> tested = new TreeSet<>();
        for (java.lang.reflect.Method method : getClass().getDeclaredMethods()) {
            if (method.getName().matches("a\\d\\d.*")) {
                tested.add("A" + method.getName().substring(1, 3));
            }
        }
        assertEquals(tested, documented);
    }
}
