package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The user documentation holds together: the README is short with the quick start first, and every
 * relative link of the README, {@code docs/} and the module READMEs resolves to a file, and every
 * {@code #anchor} to a heading of that file (GitHub's heading slugs).
 */
class DocumentationTest {

    private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
    private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            pages.addAll(docs.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList()));
        }
        for (String module : new String[] {"spark/README.md", "docs/results/dense_detection.md"}) {
            if (Files.exists(ROOT.resolve(module))) {
                pages.add(ROOT.resolve(module));
            }
        }
        return pages;
    }

    @Test
    void readmeIsShortWithTheCommandsAndTheQuickStartFirst() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        assertTrue(readme.length() <= 12_000, "README has " + readme.length() + " characters (at most 12,000)");
        List<String> lines = readme.lines().collect(Collectors.toList());
        String top = String.join("\n", lines.subList(0, Math.min(15, lines.size())));
        assertTrue(top.contains("mvn -B -q -pl examples -am compile exec:java"), "the demo command in the first 15 lines");
        assertTrue(top.contains("mvn -B -ntp verify"), "the test command in the first 15 lines");
        int quickStart = lines.indexOf("## Quick start");
        assertTrue(quickStart >= 0 && quickStart < 40, "'## Quick start' in the first 40 lines: line " + quickStart);
        String ci = Files.readString(ROOT.resolve(".ci/run"), StandardCharsets.UTF_8);
        assertTrue(ci.contains("mvn -B -ntp verify"), ".ci/run calls the README's test command");
    }

    @Test
    void everyRelativeLinkResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages()) {
            String text = Files.readString(page, StandardCharsets.UTF_8);
            Matcher m = LINK.matcher(withoutCodeBlocks(text));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue;                                      // http(s), mailto: not checked offline
                }
                checked++;
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
                Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(ROOT.relativize(page) + ": " + target + " (no such file)");
                } else if (anchor != null && !anchors(resolved).contains(anchor)) {
                    broken.add(ROOT.relativize(page) + ": " + target + " (no heading #" + anchor + ")");
                }
            }
        }
        assertTrue(broken.isEmpty(), "broken links: " + broken);
        assertTrue(checked > 30, "only " + checked + " links found: is the pattern right?");
    }

    private static String withoutCodeBlocks(String markdown) {
        return markdown.replaceAll("(?s)```.*?```", "");
    }

    /** GitHub's heading anchors: lower case, punctuation other than '-' dropped, spaces to '-'. */
    private static Set<String> anchors(Path page) throws IOException {
        Set<String> out = new HashSet<>();
        if (!page.toString().endsWith(".md")) {
            return out;
        }
        for (String line : withoutCodeBlocks(Files.readString(page, StandardCharsets.UTF_8)).split("\n")) {
            if (line.startsWith("#")) {
                String heading = line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT);
                out.add(heading.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
            }
        }
        return out;
    }
}
