package io.keras2java.build;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Compiles the optional Vector API kernels ({@code convert --vector-out}) with {@code --release 17
 * --add-modules jdk.incubator.vector}, which the build tools' Java 8 compilation cannot express; the
 * JDK running the build compiles them, in process.
 */
public final class VectorKernels {
    private VectorKernels() {
    }

    /**
     * Compiles the sources under {@code sources} into {@code classes}; the runtime classes they use come from
     * the source root {@code runtimeSources} (not compiled again) when it is not null, else from {@code classPath}.
     */
    public static void compile(File sources, File runtimeSources, String classPath, File classes)
            throws BuildFailure, IOException {
        if (!sources.isDirectory()) {
            return;
        }
        List<String> files;
        try (Stream<Path> walk = Files.walk(sources.toPath())) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).collect(Collectors.toList());
        }
        if (files.isEmpty()) {
            return;
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String version = System.getProperty("java.specification.version");
        if (javac == null || version.startsWith("1.") || Integer.parseInt(version) < 17) {
            throw new BuildFailure("keras2java: the vector kernels need a JDK 17 or newer to build (this is Java "
                    + version + (javac == null ? " without javac" : "") + "); turn vectorKernels off");
        }
        Files.createDirectories(classes.toPath());
        List<String> args = new ArrayList<String>(Arrays.asList("--release", "17", "--add-modules",
                "jdk.incubator.vector", "-nowarn", "-encoding", "UTF-8", "-d", classes.getPath()));
        args.addAll(runtimeSources != null ? Arrays.asList("-implicit:none", "-sourcepath", runtimeSources.getPath())
                : Arrays.asList("-cp", classPath));
        args.addAll(files);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = javac.run(null, out, out, args.toArray(new String[0]));
        if (code != 0) {
            throw new BuildFailure("keras2java: the vector kernels did not compile: "
                    + new String(out.toByteArray(), StandardCharsets.UTF_8).trim().split("\\r?\\n")[0]);
        }
    }
}
