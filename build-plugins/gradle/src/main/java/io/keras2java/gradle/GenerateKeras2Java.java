package io.keras2java.gradle;

import io.keras2java.build.BuildFailure;
import io.keras2java.build.Conversion;
import io.keras2java.build.Generator;
import io.keras2java.build.ModelPlan;
import io.keras2java.build.ModelSettings;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.gradle.api.DefaultTask;
import org.gradle.api.GradleException;
import org.gradle.api.file.FileCollection;
import org.gradle.api.tasks.CacheableTask;
import org.gradle.api.tasks.Input;
import org.gradle.api.tasks.InputFiles;
import org.gradle.api.tasks.Internal;
import org.gradle.api.tasks.Optional;
import org.gradle.api.tasks.OutputDirectory;
import org.gradle.api.tasks.PathSensitive;
import org.gradle.api.tasks.PathSensitivity;
import org.gradle.api.tasks.SkipWhenEmpty;
import org.gradle.api.tasks.TaskAction;

/** Converts the models of one source set ({@code src/<name>/keras}) into its generated source roots. */
@CacheableTask
public class GenerateKeras2Java extends DefaultTask {
    private Keras2JavaExtension extension;
    private File modelDirectory;
    private Supplier<File> outputBase;
    private String junitDefault;
    private Supplier<List<File>> otherModelDirectories;
    private final File projectDir;
    private String generator;
    private final FileCollection modelFiles;
    private final FileCollection otherInputs;

    public GenerateKeras2Java() {
        projectDir = getProject().getProjectDir();   // nothing of the project is used while the task runs
        modelFiles = getProject().files((Callable<List<File>>) this::models);
        otherInputs = getProject().files((Callable<List<File>>) this::otherFiles);
    }

    /**
     * {@code otherModelDirectories} is null for a source set other than main; for main, the other source sets'
     * model directories: main takes the models with their own file and reports overrides that match no file.
     */
    void configure(Keras2JavaExtension extension, File modelDirectory, Supplier<File> outputBase,
                   String junitDefault, Supplier<List<File>> otherModelDirectories) {
        this.extension = extension;
        this.otherModelDirectories = otherModelDirectories;
        this.modelDirectory = modelDirectory;
        this.outputBase = outputBase;
        this.junitDefault = junitDefault;
    }

    @Internal
    public File getModelDirectory() {
        return modelDirectory;
    }

    /** The model files (the task is skipped when there are none). */
    @InputFiles
    @SkipWhenEmpty
    @PathSensitive(PathSensitivity.RELATIVE)
    public FileCollection getModelFiles() {
        return modelFiles;
    }

    /** Architecture JSON, labels and plugin files the conversions read. */
    @InputFiles
    @PathSensitive(PathSensitivity.RELATIVE)
    public FileCollection getOtherInputs() {
        return otherInputs;
    }

    /** Each model's Java name and options, or the configuration's problems (reported when the task runs). */
    @Input
    public List<String> getConversions() {
        List<String> out = new ArrayList<String>();
        try {
            for (Conversion c : plan()) {
                out.add(c.describe());
            }
        } catch (BuildFailure e) {
            out.add("invalid: " + e.getMessage());
        }
        return out;
    }

    /** The keras2java version and how it runs. */
    @Input
    public String getGenerator() {
        if (generator == null) {
            List<String> cmd = command();
            try {
                generator = new Generator(cmd, extension.getPlugins(), log()).version("keras2java") + " " + cmd
                        + " plugins=" + extension.getPlugins();
            } catch (BuildFailure e) {
                generator = "unavailable " + cmd;   // the conversion reports it, naming the model
            }
        }
        return generator;
    }

    @Input
    public boolean isVectorKernels() {
        return extension.isVectorKernels();
    }

    @OutputDirectory
    public File getJavaDir() {
        return new File(outputBase.get(), Generator.JAVA);
    }

    @OutputDirectory
    public File getTestDir() {
        return new File(outputBase.get(), Generator.TEST);
    }

    @OutputDirectory
    public File getResourcesDir() {
        return new File(outputBase.get(), Generator.RESOURCES);
    }

    @OutputDirectory
    @Optional
    public File getVectorDir() {
        return extension.isVectorKernels() ? new File(outputBase.get(), Generator.VECTOR) : null;
    }

    @TaskAction
    public void generate() throws IOException {
        File staging = getTemporaryDir();
        Generator.delete(staging);
        List<File> dirs = new ArrayList<File>();
        List<String> failures = new ArrayList<String>();
        try {
            Generator gen = new Generator(command(), extension.getPlugins(), log());
            for (Conversion c : plan()) {
                File dir = new File(staging, c.qualifiedName());
                try {
                    gen.convert(c, dir, extension.isVectorKernels());
                    dirs.add(dir);
                } catch (BuildFailure e) {
                    failures.add(e.getMessage());
                }
            }
        } catch (BuildFailure e) {
            failures.add(e.getMessage());
        }
        if (!failures.isEmpty()) {
            for (File d : new File[] {getJavaDir(), getTestDir(), getResourcesDir(), getVectorDir(), staging}) {
                Generator.delete(d);
            }
            throw new GradleException(String.join("\n", failures));
        }
        Generator.assemble(dirs, getJavaDir(), getTestDir(), getResourcesDir(), getVectorDir());
        Generator.delete(staging);
    }

    List<Conversion> plan() throws BuildFailure {
        ModelSettings defaults = new ModelSettings();
        defaults.setPackageName(extension.getPackageName() != null ? extension.getPackageName() : "models");
        defaults.setWeights(extension.getWeights());
        defaults.setWeightsStorage(extension.getWeightsStorage());
        defaults.setLabels(extension.getLabels());
        defaults.setWithTests(extension.getWithTests() == null || extension.getWithTests());
        defaults.setJunit(extension.getJunit() != null ? extension.getJunit() : junitDefault);
        defaults.setExtraArgs(extension.getExtraArgs());
        List<ModelSettings> configured = new ArrayList<ModelSettings>();
        for (ModelSettings m : extension.getModels()) {
            if (ModelPlan.hasModel(modelDirectory, m.getName())
                    || otherModelDirectories != null && (m.getFile() != null || !elsewhere(m.getName()))) {
                configured.add(m);
            }
        }
        return ModelPlan.plan(projectDir, modelDirectory, defaults, configured);
    }

    private boolean elsewhere(String name) {
        for (File dir : otherModelDirectories.get()) {
            if (ModelPlan.hasModel(dir, name)) {
                return true;
            }
        }
        return false;
    }

    private Generator.Log log() {
        return new Generator.Log(getLogger()::info, getLogger()::warn);
    }

    private List<String> command() {
        return Generator.command(extension.getCommand(), extension.getPython());
    }

    private List<File> models() {
        List<File> files = ModelPlan.discover(modelDirectory);
        for (ModelSettings m : extension.getModels()) {
            if (m.getFile() != null && otherModelDirectories != null) {
                files.add(m.getFile());
            }
        }
        return files;
    }

    private List<File> otherFiles() {
        List<File> files = new ArrayList<File>();
        for (File m : models()) {
            File json = new File(m.getParentFile(), ModelPlan.baseName(m) + ".json");
            if (json.isFile()) {
                files.add(json);
            }
        }
        List<ModelSettings> all = new ArrayList<ModelSettings>(extension.getModels());
        all.add(extension);
        for (ModelSettings m : all) {
            for (File f : new File[] {m.getLabels(), m.getArchitecture()}) {
                if (f != null) {
                    files.add(f);
                }
            }
        }
        for (String p : extension.getPlugins()) {
            File f = new File(p).isAbsolute() ? new File(p) : new File(projectDir, p);
            if (f.isFile()) {
                files.add(f);
            }
        }
        return files;
    }
}
