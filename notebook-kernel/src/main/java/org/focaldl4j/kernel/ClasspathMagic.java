package org.focaldl4j.kernel;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * BeakerX's {@code %classpath} line magic, as far as the notebooks need it:
 * {@code %classpath add jar <path> [<path> …]}, where a path is a jar, a class directory, or a
 * directory followed by {@code /*} (every jar in it). Relative paths are resolved against the
 * kernel's working directory, which nbconvert and Jupyter set to the notebook's folder.
 * {@code %classpath add mvn} (BeakerX resolves Maven coordinates) is refused with a message that says
 * what to use instead.
 */
final class ClasspathMagic {

    static final String PREFIX = "%classpath";

    private ClasspathMagic() {
    }

    /** The classpath entries named by one magic line; throws on anything this kernel does not do. */
    static List<Path> entries(String line, Path base) throws IOException {
        String[] words = line.trim().split("\\s+");
        if (words.length < 4 || !words[0].equals(PREFIX) || !words[1].equals("add")) {
            throw new IllegalArgumentException("expected '%classpath add jar <path> [<path> ...]'; got '" + line.trim() + "'");
        }
        if (words[2].equals("mvn")) {
            throw new IllegalArgumentException("'%classpath add mvn' needs BeakerX's Maven resolver, which this kernel does "
                    + "not have; build the project and use '%classpath add jar <dir>/*' instead");
        }
        if (!words[2].equals("jar")) {
            throw new IllegalArgumentException("unknown '%classpath add " + words[2] + "'; this kernel knows 'add jar'");
        }
        List<Path> entries = new ArrayList<>();
        for (int i = 3; i < words.length; i++) {
            entries.addAll(expand(words[i], base));
        }
        return entries;
    }

    private static List<Path> expand(String spec, Path base) throws IOException {
        List<Path> out = new ArrayList<>();
        if (spec.endsWith("/*") || spec.endsWith("*.jar")) {
            Path dir = base.resolve(spec.substring(0, spec.lastIndexOf('/') < 0 ? 0 : spec.lastIndexOf('/'))).normalize();
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("classpath directory " + dir + " (from '" + spec + "') does not exist");
            }
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, "*.jar")) {
                jars.forEach(out::add);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("no jars in " + dir + " (from '" + spec + "')");
            }
            out.sort(null);
            return out;
        }
        Path p = base.resolve(spec).normalize();
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("classpath entry " + p + " (from '" + spec + "') does not exist");
        }
        out.add(p);
        return out;
    }
}
