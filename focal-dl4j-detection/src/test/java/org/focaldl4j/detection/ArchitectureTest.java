package org.focaldl4j.detection;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The detection module's layout, read from its compiled classes: every class in one of six packages by noun, each
 * package using only the packages below it (box and layers at the bottom, then anchor, then model and data, eval on
 * top), no cycle between packages, and no source file longer than {@value #MAX_LINES} lines.
 */
class ArchitectureTest {

    private static final String ROOT = "org.focaldl4j.detection";
    private static final int MAX_LINES = 360;

    /** Each package and the detection packages it may use (docs/detection.md shows the same map). */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            "box", List.of(),
            "layers", List.of(),
            "anchor", List.of("box", "layers"),
            "model", List.of("box", "anchor", "layers"),
            "data", List.of("box", "anchor"),
            "eval", List.of("box", "data"));

    private static final JavaClasses LIBRARY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);

    @Test
    void everyClassLivesInAPackageByNoun() {
        String[] packages = ALLOWED.keySet().stream().map(p -> ROOT + "." + p).toArray(String[]::new);
        classes().should().resideInAnyPackage(packages).check(LIBRARY);
        assertTrue(LIBRARY.size() > 30, "the importer found the library's classes: " + LIBRARY.size());
    }

    @Test
    void eachPackageUsesOnlyThePackagesBelowIt() {
        for (Map.Entry<String, List<String>> e : ALLOWED.entrySet()) {
            List<String> forbidden = new ArrayList<>();
            for (String other : ALLOWED.keySet()) {
                if (!other.equals(e.getKey()) && !e.getValue().contains(other)) {
                    forbidden.add(ROOT + "." + other + "..");
                }
            }
            noClasses().that().resideInAPackage(ROOT + "." + e.getKey() + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(forbidden.toArray(new String[0]))
                    .check(LIBRARY);
        }
    }

    @Test
    void theModelDoesNotDependOnEvaluation() {
        noClasses().that().resideInAPackage(ROOT + ".model..").should().dependOnClassesThat()
                .resideInAPackage(ROOT + ".eval..").check(LIBRARY);
    }

    @Test
    void noCycleBetweenPackages() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(LIBRARY);
    }

    @Test
    void noSourceFileIsLong() throws IOException {
        Path sources = Paths.get("src/main/java/org/focaldl4j/detection");
        List<String> longer = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                long lines = Files.readAllLines(f).size();
                if (lines > MAX_LINES) {
                    longer.add(f + ": " + lines);
                }
            }
        }
        assertTrue(longer.isEmpty(), "files over " + MAX_LINES + " lines: " + longer);
    }
}
