package io.keras2java.build;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs {@code keras2java convert} for one model at a time into a directory of its own (written beside it
 * and renamed into place, so that a failed conversion leaves nothing), and assembles the models'
 * directories into the build's source and resource roots.
 */
public final class Generator {
    /** The sub-directories of a converted model's directory. */
    public static final String JAVA = "java";
    public static final String TEST = "test";
    public static final String RESOURCES = "resources";
    public static final String VECTOR = "vector";

    /** Where progress and the generator's warnings go: the build tool's logger. */
    public static final class Log {
        private final Consumer<String> info;
        private final Consumer<String> warn;

        public Log(Consumer<String> info, Consumer<String> warn) {
            this.info = info;
            this.warn = warn;
        }

        void info(String message) {
            info.accept(message);
        }

        void warn(String message) {
            warn.accept(message);
        }
    }

    private final List<String> command;
    private final List<String> plugins;
    private final Log log;

    public Generator(List<String> command, List<String> plugins, Log log) {
        this.command = new ArrayList<String>(command);
        this.plugins = plugins == null ? new ArrayList<String>() : new ArrayList<String>(plugins);
        this.log = log;
    }

    /** The configured command, else {@code python -m keras2java}, else {@code keras2java} from the PATH. */
    public static List<String> command(List<String> configured, String python) {
        if (configured != null && !configured.isEmpty()) {
            return new ArrayList<String>(configured);
        }
        if (python != null && !python.isEmpty()) {
            return Arrays.asList(python, "-m", "keras2java");
        }
        return Arrays.asList("keras2java");
    }

    /** The generator's {@code --version} line; {@code model} is named if it cannot run. */
    public String version(String model) throws BuildFailure {
        List<String> args = new ArrayList<String>(command);
        args.add("--version");
        return run(args, model, null).trim();
    }

    /** Converts {@code c} into {@code dir} (its java, test, resources and, with {@code vector}, vector sub-directories). */
    public void convert(Conversion c, File dir, boolean vector) throws BuildFailure {
        File tmp = new File(dir.getParentFile(), dir.getName() + ".partial");
        try {
            delete(dir);
            delete(tmp);
            List<String> args = new ArrayList<String>(command);
            args.addAll(c.arguments(new File(tmp, JAVA), new File(tmp, TEST), vector ? new File(tmp, VECTOR) : null));
            for (String p : plugins) {
                args.add("--plugin");
                args.add(p);
            }
            log.info("keras2java: " + c.label() + " -> " + c.qualifiedName());
            run(args, c.label(), c.model());
            separateResources(new File(tmp, JAVA).toPath(), new File(tmp, RESOURCES).toPath());
            Files.move(tmp.toPath(), dir.toPath(), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BuildFailure(c.label() + ": could not write the generated files: " + e);
        } finally {
            quietDelete(tmp);
        }
    }

    /** Replaces the four roots (a null root is skipped) with the union of the models' directories. */
    public static void assemble(List<File> models, File java, File test, File resources, File vector)
            throws IOException {
        File[] roots = {java, test, resources, vector};
        String[] subs = {JAVA, TEST, RESOURCES, VECTOR};
        for (int i = 0; i < roots.length; i++) {
            if (roots[i] == null) {
                continue;
            }
            delete(roots[i]);
            Files.createDirectories(roots[i].toPath());
            for (File m : models) {
                copyTree(new File(m, subs[i]).toPath(), roots[i].toPath());
            }
        }
    }

    /** SHA-256 of {@code c}'s description, {@code extra} and the contents of every file it reads. */
    public static String fingerprint(Conversion c, String extra) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((c.describe() + "\n" + extra + "\n").getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[1 << 16];
            for (File f : c.inputs()) {
                try (InputStream in = Files.newInputStream(f.toPath())) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        md.update(buf, 0, n);
                    }
                }
            }
            StringBuilder sb = new StringBuilder();
            for (byte b : md.digest()) {
                sb.append(String.format("%02x", b & 0xff));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs keras2java; a failure names {@code model} (the file's own name is taken off the message's front). */
    private String run(List<String> args, String model, File file) throws BuildFailure {
        String out;
        int code;
        try {
            Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
            p.getOutputStream().close();
            out = readAll(p.getInputStream());
            code = p.waitFor();
        } catch (IOException e) {
            throw new BuildFailure(model + ": cannot run keras2java (" + String.join(" ", command) + "): "
                    + e.getMessage() + "; install it (pip install keras2java) or set the plugin's command or python");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildFailure(model + ": interrupted");
        }
        List<String> errors = new ArrayList<String>();
        String last = "";
        for (String line : out.split("\\r?\\n")) {
            if (line.startsWith("keras2java: warning: ")) {
                log.warn(model + ": " + line.substring("keras2java: warning: ".length()));
            } else if (line.startsWith("keras2java: error: ") || line.startsWith("keras2java: internal error: ")) {
                errors.add(line.substring(line.indexOf(": ") + 2));
            }
            if (!line.trim().isEmpty()) {
                last = line.trim();
            }
        }
        if (code == 0) {
            return out;
        }
        String why = errors.isEmpty() ? "keras2java failed (exit " + code + "): " + last : String.join("; ", errors);
        if (why.startsWith("error: ")) {
            why = why.substring("error: ".length());
        }
        if (file != null) {
            for (String name : new String[] {file.getPath(), file.getAbsolutePath(), file.getName()}) {
                if (why.startsWith(name + ": ")) {
                    why = why.substring(name.length() + 2);
                    break;
                }
            }
        }
        throw new BuildFailure(model + ": " + why);
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            bytes.write(buf, 0, n);
        }
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
    }

    /** Moves every file but the Java sources (side-loaded weights) from the source tree to a resource tree. */
    private static void separateResources(final Path java, final Path resources) throws IOException {
        Files.createDirectories(resources);
        if (!Files.isDirectory(java)) {
            return;
        }
        Files.walkFileTree(java, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                if (!f.getFileName().toString().endsWith(".java")) {
                    Path to = resources.resolve(java.relativize(f).toString());
                    Files.createDirectories(to.getParent());
                    Files.move(f, to);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void copyTree(final Path from, final Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            return;
        }
        Files.walkFileTree(from, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Deletes a file or directory tree; absent (or null) is fine. */
    public static void delete(File f) throws IOException {
        if (f == null || !f.exists() && !Files.isSymbolicLink(f.toPath())) {
            return;
        }
        Files.walkFileTree(f.toPath(), new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult visitFile(Path p, BasicFileAttributes a) throws IOException {
                Files.delete(p);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void quietDelete(File f) {
        try {
            delete(f);
        } catch (IOException ignored) {
            // best effort: the next run deletes it first
        }
    }
}
