package io.keras2java.gradle;

import io.keras2java.build.BuildFailure;
import io.keras2java.build.Generator;
import io.keras2java.build.VectorKernels;
import java.io.File;
import java.io.IOException;
import org.gradle.api.DefaultTask;
import org.gradle.api.GradleException;
import org.gradle.api.file.FileCollection;
import org.gradle.api.tasks.CacheableTask;
import org.gradle.api.tasks.Classpath;
import org.gradle.api.tasks.InputFiles;
import org.gradle.api.tasks.Internal;
import org.gradle.api.tasks.OutputDirectory;
import org.gradle.api.tasks.PathSensitive;
import org.gradle.api.tasks.PathSensitivity;
import org.gradle.api.tasks.TaskAction;

/** Compiles the optional Vector API kernels with --release 17 against the compiled main classes. */
@CacheableTask
public class CompileKeras2JavaVector extends DefaultTask {
    private File sourceDir;
    private FileCollection sources;
    private FileCollection classpath;
    private File classesDir;

    void configure(File sourceDir, FileCollection classpath, File classesDir) {
        this.sourceDir = sourceDir;
        this.sources = getProject().files(sourceDir);
        this.classpath = classpath;
        this.classesDir = classesDir;
    }

    @Internal
    public File getSourceDir() {
        return sourceDir;
    }

    @InputFiles
    @PathSensitive(PathSensitivity.RELATIVE)
    public FileCollection getSources() {
        return sources;
    }

    @Classpath
    public FileCollection getClasspath() {
        return classpath;
    }

    @OutputDirectory
    public File getClassesDir() {
        return classesDir;
    }

    @TaskAction
    public void compile() throws IOException {
        Generator.delete(classesDir);
        try {
            VectorKernels.compile(sourceDir, null, classpath.getAsPath(), classesDir);
        } catch (BuildFailure e) {
            throw new GradleException(e.getMessage());
        }
    }
}
