package org.focaldl4j.detection.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks of the command line's output paths, made before any work so that a run never fails at its end for want of
 * a place to write: a file's folder must exist or be creatable, and be writable; an output must not be, or lie in,
 * one of the inputs (links followed).
 */
final class Outputs {

    private Outputs() {
    }

    /** {@code file} can be written: not a folder, in a folder that exists or can be made, writable. */
    static void checkFile(String flag, Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(flag + " " + file + " is a folder; give a file name");
        }
        checkFolder(flag, file, file.toAbsolutePath().getParent());
    }

    /** {@code folder} can hold written files: a folder, or absent below a writable folder. */
    static void checkFolder(String flag, Path given, Path folder) {
        if (folder == null) {
            throw new IllegalArgumentException(flag + " " + given + " has no folder to write in");
        }
        Path existing = folder.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            throw new IllegalArgumentException(flag + " " + given + ": " + existing + " is not a writable folder");
        }
    }

    /** The real path of {@code p}: the real path of its nearest existing ancestor, with the rest appended. */
    static Path real(Path p) throws IOException {
        Path absolute = p.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing == null ? absolute : existing.toRealPath().resolve(existing.relativize(absolute));
    }

    /** Refuses an output that is, or lies inside, {@code input}. */
    static void notInside(String flag, Path output, String inputFlag, Path input) throws IOException {
        if (input != null && real(output).startsWith(real(input))) {
            throw new IllegalArgumentException(flag + " " + output + " must lie outside " + inputFlag + " " + input);
        }
    }
}
