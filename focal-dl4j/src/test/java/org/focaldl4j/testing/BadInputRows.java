package org.focaldl4j.testing;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rows of {@code docs/bad-input.md} with one letter (B, A, D, C …), and the test methods named for them
 * ({@code a01…} for row A01), so that each catalogue test can check that the document and the tests list the
 * same IDs. Read from a module's directory ({@code ../docs/bad-input.md}), as Maven runs the tests.
 */
public final class BadInputRows {

    private BadInputRows() {
    }

    /** The IDs of the document's rows "| X07 | …" with letter {@code prefix}. */
    public static Set<String> documented(char prefix) throws IOException {
        String text = Files.readString(Path.of("..", "docs", "bad-input.md"), StandardCharsets.UTF_8);
        Set<String> ids = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| (" + prefix + "\\d\\d) \\|", Pattern.MULTILINE).matcher(text);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    /** The IDs of {@code tests}' own methods named for a row: {@code x07Something} is X07. */
    public static Set<String> tested(Class<?> tests, char prefix) {
        String lower = String.valueOf(prefix).toLowerCase(Locale.ROOT);
        Set<String> ids = new TreeSet<>();
        for (Method method : tests.getDeclaredMethods()) {
            if (method.getName().matches(lower + "\\d\\d.*")) {
                ids.add(prefix + method.getName().substring(1, 3));
            }
        }
        return ids;
    }
}
