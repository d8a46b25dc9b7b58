package io.keras2java.build;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * The keras2java {@code convert} options of one model, or the defaults of every model.
 * A {@code null} field inherits the default. Maven and Gradle configure it as a bean.
 */
public class ModelSettings {
    private String name;
    private File file;
    private String className;
    private String packageName;
    private String weights;
    private String weightsStorage;
    private File labels;
    private File architecture;
    private Boolean withTests;
    private String junit;
    private List<String> extraArgs;

    public ModelSettings() {
    }

    public ModelSettings(String name) {
        this.name = name;
    }

    /** The model file's base name ({@code har_lstm} for {@code har_lstm.keras}): whose settings these are. */
    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    /** A model file outside the model directory (optional: models in it are found by name). */
    public File getFile() {
        return file;
    }

    public void setFile(File file) {
        this.file = file;
    }

    /** The generated class (default: the file name in UpperCamelCase). */
    public String getClassName() {
        return className;
    }

    public void setClassName(String className) {
        this.className = className;
    }

    /** The generated class's package (default: {@code models}). */
    public String getPackageName() {
        return packageName;
    }

    public void setPackageName(String packageName) {
        this.packageName = packageName;
    }

    /** {@code auto} (default), {@code embedded} or {@code resource}. */
    public String getWeights() {
        return weights;
    }

    public void setWeights(String weights) {
        this.weights = weights;
    }

    /** {@code float32} (default), {@code float16}, {@code bfloat16} or {@code int8}. */
    public String getWeightsStorage() {
        return weightsStorage;
    }

    public void setWeightsStorage(String weightsStorage) {
        this.weightsStorage = weightsStorage;
    }

    /** Class labels, one per line (a classifier gets predictLabel). */
    public File getLabels() {
        return labels;
    }

    public void setLabels(File labels) {
        this.labels = labels;
    }

    /** The architecture JSON of a weights-only file (default: the same-named {@code .json}). */
    public File getArchitecture() {
        return architecture;
    }

    public void setArchitecture(File architecture) {
        this.architecture = architecture;
    }

    /** Generate the golden-vector test (default: true). */
    public Boolean getWithTests() {
        return withTests;
    }

    public void setWithTests(Boolean withTests) {
        this.withTests = withTests;
    }

    /** The golden test's framework: {@code 5}, {@code 4} or {@code none} (only the Golden class). */
    public String getJunit() {
        return junit;
    }

    public void setJunit(String junit) {
        this.junit = junit;
    }

    /** More {@code keras2java convert} arguments, passed as they are. */
    public List<String> getExtraArgs() {
        return extraArgs;
    }

    public void setExtraArgs(List<String> extraArgs) {
        this.extraArgs = extraArgs == null ? null : new ArrayList<String>(extraArgs);
    }

    /** These settings over {@code defaults}: each unset field takes the default's. */
    ModelSettings over(ModelSettings defaults) {
        ModelSettings m = new ModelSettings(name);
        m.file = file;
        m.className = className;
        m.packageName = pick(packageName, defaults.packageName);
        m.weights = pick(weights, defaults.weights);
        m.weightsStorage = pick(weightsStorage, defaults.weightsStorage);
        m.labels = pick(labels, defaults.labels);
        m.architecture = architecture;
        m.withTests = pick(withTests, defaults.withTests);
        m.junit = pick(junit, defaults.junit);
        List<String> extra = new ArrayList<String>();
        if (defaults.extraArgs != null) {
            extra.addAll(defaults.extraArgs);
        }
        if (extraArgs != null) {
            extra.addAll(extraArgs);
        }
        m.extraArgs = extra;
        return m;
    }

    private static <T> T pick(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
