package org.focaldl4j.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.focaldl4j.examples.FashionMnist;
import org.junit.jupiter.api.Test;

/** The experiment commands' arguments: read strictly, each refusal naming the key and the value. */
class ArgumentsTest {

    @Test
    void keyValuesInOrderAndProtocolSettings() {
        Map<String, String> a = Arguments.parse(new String[] {"train=32", "out=/tmp/x=y", "grid=0.5,0.25", "data=SUBSET"});
        assertEquals(List.of("train", "out", "grid", "data"), List.copyOf(a.keySet()));
        assertEquals("/tmp/x=y", a.get("out"));
        RetinaNetExperiment.Protocol p = new RetinaNetExperiment.Protocol();
        assertTrue(Arguments.protocol(p, "train", "32"));
        assertTrue(Arguments.protocol(p, "grid", "0.5,0.25"));
        assertTrue(Arguments.protocol(p, "data", "SUBSET"));
        assertTrue(Arguments.protocol(p, "pretrain", "0"));
        assertFalse(Arguments.protocol(p, "out", "/tmp"));
        assertEquals(32, p.trainCanvases);
        assertArrayEquals(new double[] {0.5, 0.25}, p.grid, 0);
        assertEquals(FashionMnist.Source.SUBSET, p.data);
    }

    @Test
    void badArgumentsAreRefusedNamingKeyAndValue() {
        RetinaNetExperiment.Protocol p = new RetinaNetExperiment.Protocol();
        for (String[] bad : new String[][] {{"train", "abc"}, {"train", "0"}, {"pretrain", "-1"}, {"grid", "0.1,"},
            {"grid", "0.1,NaN"}, {"grid", "Infinity"}, {"grid", "-0.1"}, {"data", "ALL"}, {"iterations", "1.5"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Arguments.protocol(p, bad[0], bad[1]), String.join("=", bad));
            assertTrue(e.getMessage().contains(bad[0].equals("data") ? "data" : bad[0]) && e.getMessage().contains(
                    bad[1].endsWith(",") ? "\"\"" : bad[1].split(",")[bad[1].split(",").length - 1]), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Arguments.parse(new String[] {"train=1", "train=2"}));
        assertThrows(IllegalArgumentException.class, () -> Arguments.parse(new String[] {"=1"}));
        assertThrows(IllegalArgumentException.class, () -> Arguments.parse(new String[] {"train"}));
        assertThrows(IllegalArgumentException.class, () -> Arguments.bool("report", "yes"));
        assertTrue(Arguments.bool("report", "true"));
    }
}
