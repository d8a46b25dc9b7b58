package io.keras2java.build;

import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** One model to convert: its files, its Java name and the {@code convert} options that shape its output. */
public final class Conversion {
    private final File model;
    private final String label;
    private final File architecture;
    private final File labels;
    private final String packageName;
    private final String className;
    private final boolean withTests;
    private final String junit;
    private final List<String> options;

    Conversion(File model, String label, ModelSettings s, String className) {
        this.model = model;
        this.label = label;
        this.architecture = s.getArchitecture();
        this.labels = s.getLabels();
        this.packageName = s.getPackageName();
        this.className = className;
        this.withTests = s.getWithTests() == null || s.getWithTests();
        this.junit = s.getJunit() != null ? s.getJunit() : "5";
        List<String> o = new ArrayList<String>();
        add(o, "--weights", s.getWeights());
        add(o, "--weights-storage", s.getWeightsStorage());
        o.addAll(s.getExtraArgs());
        this.options = Collections.unmodifiableList(o);
    }

    private static void add(List<String> args, String flag, String value) {
        if (value != null) {
            args.add(flag);
            args.add(value);
        }
    }

    /** The model file as the build names it in messages (relative to the project). */
    public String label() {
        return label;
    }

    public File model() {
        return model;
    }

    public String qualifiedName() {
        return packageName + "." + className;
    }

    public boolean withTests() {
        return withTests;
    }

    /** Every file the conversion reads. */
    public List<File> inputs() {
        List<File> files = new ArrayList<File>();
        files.add(model);
        if (architecture != null) {
            files.add(architecture);
        }
        if (labels != null) {
            files.add(labels);
        }
        return files;
    }

    /** What decides the output besides the files' contents: file names, Java name, options. */
    public String describe() {
        return label + " -> " + qualifiedName() + " tests=" + (withTests ? junit : "off")
                + (architecture != null ? " architecture=" + architecture.getName() : "")
                + (labels != null ? " labels=" + labels.getName() : "") + " " + options;
    }

    /** The {@code convert} arguments writing into {@code javaDir} (tests into {@code testDir}, kernels into {@code vectorDir} when not null). */
    List<String> arguments(File javaDir, File testDir, File vectorDir) {
        List<String> a = new ArrayList<String>();
        a.add("convert");
        a.add(model.getPath());
        a.add("--out");
        a.add(javaDir.getPath());
        a.add("--package");
        a.add(packageName);
        a.add("--class");
        a.add(className);
        if (architecture != null) {
            a.add("--architecture");
            a.add(architecture.getPath());
        }
        if (labels != null) {
            a.add("--labels");
            a.add(labels.getPath());
        }
        if (withTests) {
            a.add("--with-test");
            a.add("--junit");
            a.add(junit);
            a.add("--test-out");
            a.add(testDir.getPath());
        }
        if (vectorDir != null) {
            a.add("--vector-out");
            a.add(vectorDir.getPath());
        }
        a.addAll(options);
        a.add("--quiet");
        return a;
    }
}
