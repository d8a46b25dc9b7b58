package io.keras2java.gradle;

import groovy.lang.Closure;
import io.keras2java.build.ModelSettings;
import java.util.ArrayList;
import java.util.List;
import org.gradle.api.Action;
import org.gradle.api.NamedDomainObjectContainer;

/**
 * {@code keras2java { ... }}: the convert options of every model (packageName, weights, weightsStorage, labels,
 * withTests, junit, extraArgs), per-model overrides in {@code models}, and how keras2java runs.
 */
public class Keras2JavaExtension extends ModelSettings {
    private final NamedDomainObjectContainer<ModelSettings> models;
    private List<String> plugins = new ArrayList<String>();
    private List<String> command;
    private String python;
    private boolean vectorKernels;

    public Keras2JavaExtension(NamedDomainObjectContainer<ModelSettings> models) {
        this.models = models;
    }

    /** Per-model settings, by model file name without extension ({@code har_lstm}), or with their own {@code file}. */
    public NamedDomainObjectContainer<ModelSettings> getModels() {
        return models;
    }

    public void models(Action<? super NamedDomainObjectContainer<ModelSettings>> action) {
        action.execute(models);
    }

    public void models(Closure<?> closure) {
        models.configure(closure);
    }

    /** Custom-layer plugins (convert --plugin): .py files or module names. */
    public List<String> getPlugins() {
        return plugins;
    }

    public void setPlugins(List<String> plugins) {
        this.plugins = new ArrayList<String>(plugins);
    }

    /** The keras2java command and its first arguments (default: {@code keras2java} on the PATH). */
    public List<String> getCommand() {
        return command;
    }

    public void setCommand(List<String> command) {
        this.command = command == null ? null : new ArrayList<String>(command);
    }

    /** A Python interpreter to run {@code python -m keras2java} with, instead of the command. */
    public String getPython() {
        return python;
    }

    public void setPython(String python) {
        this.python = python;
    }

    /** Also build the JDK 17+ Vector API kernels into the main classes (Gradle running on JDK 17+). */
    public boolean isVectorKernels() {
        return vectorKernels;
    }

    public void setVectorKernels(boolean vectorKernels) {
        this.vectorKernels = vectorKernels;
    }
}
