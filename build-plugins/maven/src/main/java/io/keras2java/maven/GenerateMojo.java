package io.keras2java.maven;

import io.keras2java.build.BuildFailure;
import io.keras2java.build.Conversion;
import io.keras2java.build.Generator;
import io.keras2java.build.ModelPlan;
import io.keras2java.build.ModelSettings;
import io.keras2java.build.VectorKernels;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * Generates Java sources from the Keras models in {@code src/main/keras} (or the configured models) with
 * keras2java, and the models' golden-vector tests; adds the generated source, test source and resource roots.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class GenerateMojo extends AbstractMojo {
    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    /** Every model file here is converted ({@code .keras}, {@code .h5}, {@code .hdf5}). */
    @Parameter(property = "keras2java.modelDirectory", defaultValue = "${project.basedir}/src/main/keras")
    private File modelDirectory;

    /** Per-model settings: {@code <model><name>har_lstm</name><className>Har</className></model>}, or a {@code <file>}. */
    @Parameter
    private List<ModelSettings> models;

    /** The generated classes' package. */
    @Parameter(property = "keras2java.packageName", defaultValue = "models")
    private String packageName;

    /** {@code auto}, {@code embedded} or {@code resource} (convert --weights). */
    @Parameter(property = "keras2java.weights")
    private String weights;

    /** {@code float32}, {@code float16}, {@code bfloat16} or {@code int8} (convert --weights-storage). */
    @Parameter(property = "keras2java.weightsStorage")
    private String weightsStorage;

    /** Class labels for every model, one per line (convert --labels; usually set per model). */
    @Parameter(property = "keras2java.labels")
    private File labels;

    /** Generate the golden-vector tests into the generated test sources. */
    @Parameter(property = "keras2java.withTests", defaultValue = "true")
    private boolean withTests;

    /** The golden tests' framework: {@code 5}, {@code 4} or {@code none} (the test framework is the project's dependency). */
    @Parameter(property = "keras2java.junit", defaultValue = "5")
    private String junit;

    /** More convert arguments for every model, passed as they are. */
    @Parameter
    private List<String> extraArgs;

    /** Custom-layer plugins (convert --plugin): .py files or module names. */
    @Parameter
    private List<String> plugins;

    /** Also generate the JDK 17+ Vector API kernels and compile them into the classes (needs a JDK 17+ build). */
    @Parameter(property = "keras2java.vectorKernels", defaultValue = "false")
    private boolean vectorKernels;

    /** The keras2java command and its first arguments (default: {@code keras2java} on the PATH). */
    @Parameter
    private List<String> command;

    /** A Python interpreter to run {@code python -m keras2java} with, instead of the command. */
    @Parameter(property = "keras2java.python")
    private String python;

    @Parameter(defaultValue = "${project.build.directory}/generated-sources/keras2java")
    private File outputDirectory;

    @Parameter(defaultValue = "${project.build.directory}/generated-test-sources/keras2java")
    private File testOutputDirectory;

    @Parameter(defaultValue = "${project.build.directory}/generated-resources/keras2java")
    private File resourceOutputDirectory;

    /** Each model's last output and its fingerprint, to skip unchanged models. */
    @Parameter(defaultValue = "${project.build.directory}/keras2java")
    private File workDirectory;

    @Parameter(property = "keras2java.skip", defaultValue = "false")
    private boolean skip;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("keras2java: skipped");
            return;
        }
        try {
            generate();
        } catch (BuildFailure e) {
            throw new MojoFailureException(e.getMessage());
        } catch (IOException e) {
            throw new MojoExecutionException("keras2java: " + e, e);
        }
    }

    private void generate() throws BuildFailure, IOException {
        ModelSettings defaults = new ModelSettings();
        defaults.setPackageName(packageName);
        defaults.setWeights(weights);
        defaults.setWeightsStorage(weightsStorage);
        defaults.setLabels(labels);
        defaults.setWithTests(withTests);
        defaults.setJunit(junit);
        defaults.setExtraArgs(extraArgs);
        File base = project.getBasedir();
        List<Conversion> plan = ModelPlan.plan(base, modelDirectory, defaults,
                models == null ? Collections.<ModelSettings>emptyList() : models);
        if (plan.isEmpty()) {
            getLog().info("keras2java: no models in " + ModelPlan.relative(base, modelDirectory));
            return;
        }
        List<String> cmd = Generator.command(command, python);
        Generator gen = new Generator(cmd, plugins, new Generator.Log(getLog()::info, getLog()::warn));
        String context = gen.version(plan.get(0).label()) + "\n" + cmd + "\n" + plugins + "\nvector=" + vectorKernels;
        File modelsDir = new File(workDirectory, "models");
        List<File> dirs = new ArrayList<File>();
        List<String> failures = new ArrayList<String>();
        StringBuilder state = new StringBuilder();
        boolean anyTests = false;
        for (Conversion c : plan) {
            File dir = new File(modelsDir, c.qualifiedName());
            File stamp = new File(modelsDir, c.qualifiedName() + ".fingerprint");
            String fp = Generator.fingerprint(c, context);
            anyTests |= c.withTests();
            dirs.add(dir);
            state.append(c.qualifiedName()).append(' ').append(fp).append('\n');
            if (dir.isDirectory() && stamp.isFile() && read(stamp).equals(fp)) {
                getLog().info("keras2java: " + c.label() + " is unchanged, skipped");
                continue;
            }
            Files.deleteIfExists(stamp.toPath());
            try {
                gen.convert(c, dir, vectorKernels);
                Files.write(stamp.toPath(), fp.getBytes(StandardCharsets.UTF_8));
            } catch (BuildFailure e) {
                failures.add(e.getMessage());
            }
        }
        File assembled = new File(workDirectory, "assembled");
        if (!failures.isEmpty()) {   // nothing of a failed run is compiled
            Files.deleteIfExists(assembled.toPath());
            for (File root : new File[] {outputDirectory, testOutputDirectory, resourceOutputDirectory, vectorDir()}) {
                Generator.delete(root);
            }
            throw new BuildFailure(String.join("\n", failures));
        }
        removeStale(modelsDir, plan);
        if (!(assembled.isFile() && read(assembled).equals(state.toString()) && outputDirectory.isDirectory())) {
            Files.deleteIfExists(assembled.toPath());
            Generator.assemble(dirs, outputDirectory, testOutputDirectory, resourceOutputDirectory, vectorDir());
            if (vectorKernels) {
                VectorKernels.compile(vectorDir(), outputDirectory, null, new File(project.getBuild().getOutputDirectory()));
            }
            Files.write(assembled.toPath(), state.toString().getBytes(StandardCharsets.UTF_8));
        }
        project.addCompileSourceRoot(outputDirectory.getPath());
        if (anyTests) {
            project.addTestCompileSourceRoot(testOutputDirectory.getPath());
        }
        Resource res = new Resource();
        res.setDirectory(resourceOutputDirectory.getPath());
        project.addResource(res);
    }

    private File vectorDir() {
        return vectorKernels ? new File(workDirectory, "vector") : null;
    }

    private static void removeStale(File modelsDir, List<Conversion> plan) throws IOException {
        Set<String> keep = new HashSet<String>();
        for (Conversion c : plan) {
            keep.add(c.qualifiedName());
            keep.add(c.qualifiedName() + ".fingerprint");
        }
        File[] files = modelsDir.listFiles();
        for (File f : files == null ? new File[0] : files) {
            if (!keep.contains(f.getName())) {
                Generator.delete(f);
            }
        }
    }

    private static String read(File f) throws IOException {
        return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
    }
}
