package io.keras2java.build;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds the models of a model directory ({@code .keras}, {@code .h5}, {@code .hdf5}; a weights-only file
 * takes the same-named {@code .json} as its architecture), applies the per-model settings over the
 * defaults and checks the names, reporting every problem at once.
 */
public final class ModelPlan {
    private static final Set<String> KEYWORDS = new HashSet<String>(Arrays.asList(("abstract assert boolean break "
            + "byte case catch char class const continue default do double else enum extends final finally float "
            + "for goto if implements import instanceof int interface long native new package private protected "
            + "public return short static strictfp super switch synchronized this throw throws transient try void "
            + "volatile while true false null var record yield sealed permits").split(" ")));

    private ModelPlan() {
    }

    /** The conversions, in file-name order; {@code base} is the project directory that messages are relative to. */
    public static List<Conversion> plan(File base, File modelDir, ModelSettings defaults,
                                        Collection<? extends ModelSettings> configured) throws BuildFailure {
        Map<String, ModelSettings> byName = new LinkedHashMap<String, ModelSettings>();
        List<String> problems = new ArrayList<String>();
        for (File f : discover(modelDir)) {
            byName.put(baseName(f), fileOnly(f));
        }
        for (ModelSettings m : configured) {
            String name = m.getName() != null ? m.getName() : m.getFile() != null ? baseName(m.getFile()) : null;
            ModelSettings found = name == null ? null : byName.get(name);
            if (m.getFile() == null && found == null) {
                problems.add("no model file named '" + name + "' in " + relative(base, modelDir)
                        + " (a configured model needs a file there or its own file)");
                continue;
            }
            ModelSettings merged = copy(m, name);
            if (merged.getFile() == null) {
                merged.setFile(found.getFile());
            }
            byName.put(name, merged);
        }
        Map<String, String> classes = new LinkedHashMap<String, String>();
        List<Conversion> plan = new ArrayList<Conversion>();
        for (Map.Entry<String, ModelSettings> e : byName.entrySet()) {
            ModelSettings s = e.getValue().over(defaults);
            File file = s.getFile();
            String label = relative(base, file);
            if (!file.isFile()) {
                problems.add(label + ": no such model file");
                continue;
            }
            if (s.getArchitecture() == null) {
                s.setArchitecture(architectureOf(file));
            }
            String cls = s.getClassName() != null ? s.getClassName() : upperCamel(e.getKey());
            if (!isIdentifier(cls)) {
                problems.add(label + ": '" + cls + "' is not a Java class name; set className for this model");
                continue;
            }
            Conversion c = new Conversion(file, label, s, cls);
            String key = c.qualifiedName().toLowerCase(Locale.ROOT);   // case-insensitive file systems
            if (classes.containsKey(key)) {
                problems.add(classes.get(key) + " and " + label + " both map to class " + c.qualifiedName()
                        + "; set className for one of them");
                continue;
            }
            classes.put(key, label);
            plan.add(c);
        }
        if (!problems.isEmpty()) {
            throw new BuildFailure(String.join("\n", problems));
        }
        return plan;
    }

    /** The model files of {@code dir}, sorted; none when it does not exist. */
    public static List<File> discover(File dir) {
        List<File> models = new ArrayList<File>();
        File[] files = dir.listFiles();
        if (files == null) {
            return models;
        }
        Arrays.sort(files);
        for (File f : files) {
            String n = f.getName().toLowerCase(Locale.ROOT);
            if (f.isFile() && (n.endsWith(".keras") || n.endsWith(".h5") || n.endsWith(".hdf5"))) {
                models.add(f);
            }
        }
        return models;
    }

    /** Whether {@code dir} holds a model file named {@code name} (without extension). */
    public static boolean hasModel(File dir, String name) {
        for (File f : discover(dir)) {
            if (baseName(f).equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** {@code har_lstm} for {@code har_lstm.keras}, {@code m} for {@code m.weights.h5}. */
    public static String baseName(File f) {
        String n = f.getName();
        int dot = n.lastIndexOf('.');
        n = dot > 0 ? n.substring(0, dot) : n;
        return n.endsWith(".weights") ? n.substring(0, n.length() - ".weights".length()) : n;
    }

    /** {@code HarLstm} for {@code har_lstm}: each run of letters and digits capitalised. */
    public static String upperCamel(String name) {
        StringBuilder sb = new StringBuilder();
        for (String part : name.split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.toString();
    }

    static boolean isIdentifier(String s) {
        if (s.isEmpty() || KEYWORDS.contains(s) || !Character.isJavaIdentifierStart(s.charAt(0))) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch > 127 || !Character.isJavaIdentifierPart(ch)) {
                return false;
            }
        }
        return true;
    }

    private static File architectureOf(File model) {
        String n = model.getName().toLowerCase(Locale.ROOT);
        if (n.endsWith(".keras")) {
            return null;
        }
        File json = new File(model.getParentFile(), baseName(model) + ".json");
        return json.isFile() ? json : null;
    }

    private static ModelSettings fileOnly(File f) {
        ModelSettings m = new ModelSettings(baseName(f));
        m.setFile(f);
        return m;
    }

    private static ModelSettings copy(ModelSettings m, String name) {
        ModelSettings c = m.over(new ModelSettings());
        c.setName(name);
        return c;
    }

    /** {@code f} relative to {@code base} when inside it, else absolute; always with {@code /}. */
    public static String relative(File base, File f) {
        String b = base.getAbsoluteFile().toPath().normalize().toString();
        String p = f.getAbsoluteFile().toPath().normalize().toString();
        String r = p.startsWith(b + File.separator) ? p.substring(b.length() + 1) : p;
        return r.replace(File.separatorChar, '/');
    }
}
