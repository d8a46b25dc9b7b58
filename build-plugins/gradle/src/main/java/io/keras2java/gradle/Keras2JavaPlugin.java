package io.keras2java.gradle;

import io.keras2java.build.ModelSettings;
import java.io.File;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.gradle.api.Action;
import org.gradle.api.NamedDomainObjectContainer;
import org.gradle.api.NamedDomainObjectFactory;
import org.gradle.api.Plugin;
import org.gradle.api.Project;
import org.gradle.api.Task;
import org.gradle.api.file.FileCollection;
import org.gradle.api.tasks.AbstractCopyTask;
import org.gradle.api.tasks.SourceSet;
import org.gradle.api.tasks.SourceSetContainer;
import org.gradle.api.tasks.testing.Test;

/**
 * Plugin {@code io.keras2java}: with the {@code java} plugin (also applied by Kotlin JVM), a task per source set
 * converts the models in {@code src/<set>/keras} into generated sources and resources before compilation;
 * the main models' golden tests join the test sources.
 *
 * <p>Only APIs present from Gradle 4.4 to current Gradle are called directly; the newer ones it prefers
 * when present (lazy task registration, the project layout's build directory, JUnit Platform) by reflection.
 */
public class Keras2JavaPlugin implements Plugin<Project> {
    static final String VECTOR_TASK = "compileKeras2JavaVector";

    @Override
    public void apply(Project project) {
        Keras2JavaExtension ext = new Keras2JavaExtension(container(project));
        project.getExtensions().add(Keras2JavaExtension.class, "keras2java", ext);
        project.getPluginManager().withPlugin("java", p -> configure(project, ext));
    }

    private static void configure(Project project, Keras2JavaExtension ext) {
        SourceSetContainer sourceSets = (SourceSetContainer) project.property("sourceSets");
        String junitDefault = atLeast(project.getGradle().getGradleVersion(), 4, 6) ? "5" : "4";
        Supplier<List<File>> others = () -> {
            List<File> dirs = new ArrayList<File>();
            for (SourceSet s : sourceSets) {
                if (!SourceSet.MAIN_SOURCE_SET_NAME.equals(s.getName())) {
                    dirs.add(modelDir(project, s));
                }
            }
            return dirs;
        };
        sourceSets.all(ss -> {
            boolean main = SourceSet.MAIN_SOURCE_SET_NAME.equals(ss.getName());
            String name = ss.getTaskName("generate", "keras2Java");
            Supplier<File> base = () -> new File(buildDir(project), "generated/keras2java/" + ss.getName());
            File models = modelDir(project, ss);
            Action<GenerateKeras2Java> setup = t -> {
                t.setGroup("build");
                t.setDescription("Generates Java from the Keras models in " + project.relativePath(models) + ".");
                t.configure(ext, models, base, junitDefault, main ? others : null);
            };
            register(project, name, GenerateKeras2Java.class, setup);
            ss.getJava().srcDir(lazy(() -> new File(base.get(), "java")));
            ss.getResources().srcDir(lazy(() -> new File(base.get(), "resources")));
            SourceSet tests = main && sourceSets.findByName(SourceSet.TEST_SOURCE_SET_NAME) != null
                    ? sourceSets.getByName(SourceSet.TEST_SOURCE_SET_NAME) : ss;
            if (main && tests == ss) {   // the test source set comes later, if at all
                sourceSets.matching(s -> SourceSet.TEST_SOURCE_SET_NAME.equals(s.getName()))
                        .all(t -> wireTests(project, t, base, name));
            } else {
                wireTests(project, tests, base, name);
            }
            dependOn(project, name, ss.getCompileJavaTaskName(), ss.getCompileTaskName("kotlin"),
                    ss.getProcessResourcesTaskName(), ss.getTaskName("sources", "jar"));
        });
        project.afterEvaluate(p -> {
            String junit = ext.getJunit() != null ? ext.getJunit() : junitDefault;
            boolean hasModels = !ext.getModels().isEmpty()
                    || !io.keras2java.build.ModelPlan.discover(modelDir(project, sourceSets.getByName("main"))).isEmpty();
            Task test = project.getTasks().findByName("test");
            if (hasModels && "5".equals(junit) && test instanceof Test && !Boolean.FALSE.equals(ext.getWithTests())) {
                call(test, "useJUnitPlatform");   // Gradle 4.6+
            }
            if (ext.isVectorKernels()) {
                vectorKernels(project, sourceSets);
            }
        });
    }

    private static void wireTests(Project project, SourceSet tests, Supplier<File> base, String generateTask) {
        tests.getJava().srcDir(lazy(() -> new File(base.get(), "test")));
        dependOn(project, generateTask, tests.getCompileJavaTaskName(), tests.getCompileTaskName("kotlin"));
    }

    private static void vectorKernels(Project project, SourceSetContainer sourceSets) {
        SourceSet main = sourceSets.getByName(SourceSet.MAIN_SOURCE_SET_NAME);
        File sources = new File(buildDir(project), "generated/keras2java/main/vector");
        File classes = new File(buildDir(project), "classes/keras2java-vector/main");
        register(project, VECTOR_TASK, CompileKeras2JavaVector.class, t -> {
            t.setGroup("build");
            t.setDescription("Compiles the optional Vector API kernels (JDK 17+).");
            t.configure(sources, main.getOutput().getClassesDirs(), classes);
            t.dependsOn(main.getTaskName("generate", "keras2Java"));
        });
        // Not a dependency of `classes`, which its class path (the main classes) depends on: the jar, the
        // runtime class paths (run, test) and so the build depend on it.
        FileCollection vectorClasses = project.files(classes).builtBy(VECTOR_TASK);
        main.setRuntimeClasspath(main.getRuntimeClasspath().plus(vectorClasses));
        Task jar = project.getTasks().findByName(main.getJarTaskName());
        if (jar instanceof AbstractCopyTask) {
            ((AbstractCopyTask) jar).from(vectorClasses);
        }
        SourceSet tests = sourceSets.findByName(SourceSet.TEST_SOURCE_SET_NAME);
        if (tests != null) {
            tests.setRuntimeClasspath(tests.getRuntimeClasspath().plus(vectorClasses));
        }
        Task test = project.getTasks().findByName("test");
        if (test instanceof Test) {
            ((Test) test).jvmArgs("--add-modules", "jdk.incubator.vector");
        }
    }

    private static File modelDir(Project project, SourceSet ss) {
        return project.file("src/" + ss.getName() + "/keras");
    }

    /** {@code task} (named) runs before each of {@code dependents} that exists, now or later. */
    private static void dependOn(Project project, String task, String... dependents) {
        Set<String> names = new HashSet<String>(Arrays.asList(dependents));
        project.getTasks().matching(t -> names.contains(t.getName())).all(t -> t.dependsOn(task));
    }

    /** tasks.register (Gradle 4.9+, lazy) when there is one, else tasks.create. */
    private static <T extends Task> void register(Project project, String name, Class<T> type, Action<? super T> setup) {
        try {
            Method register = method(project.getTasks(), "register", String.class, Class.class, Action.class);
            register.invoke(project.getTasks(), name, type, setup);
        } catch (NoSuchMethodException e) {
            project.getTasks().create(name, type, setup);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A named container of model settings: ObjectFactory's (Gradle 5.5+) when there is one, else the project's. */
    @SuppressWarnings("unchecked")
    private static NamedDomainObjectContainer<ModelSettings> container(Project project) {
        NamedDomainObjectFactory<ModelSettings> factory = ModelSettings::new;
        Object objects = project.getObjects();
        try {
            Method m = method(objects, "domainObjectContainer", Class.class, NamedDomainObjectFactory.class);
            return (NamedDomainObjectContainer<ModelSettings>) m.invoke(objects, ModelSettings.class, factory);
        } catch (NoSuchMethodException e) {
            return project.container(ModelSettings.class, factory);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The build directory: the project layout's (lazy API) when there is one, else Project.getBuildDir. */
    static File buildDir(Project project) {
        Object dir = call(call(call(call(project, "getLayout"), "getBuildDirectory"), "get"), "getAsFile");
        return dir instanceof File ? (File) dir : project.getBuildDir();
    }

    private static Callable<File> lazy(Supplier<File> f) {
        return f::get;
    }

    /** {@code target.method()} or null when there is no such public method. */
    private static Object call(Object target, String method) {
        if (target == null) {
            return null;
        }
        try {
            return method(target, method).invoke(target);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A public method of {@code target}'s class, callable even when the class itself is not public. */
    private static Method method(Object target, String name, Class<?>... types) throws NoSuchMethodException {
        Method m = target.getClass().getMethod(name, types);
        if (!Modifier.isPublic(m.getDeclaringClass().getModifiers())) {
            m.setAccessible(true);
        }
        return m;
    }

    static boolean atLeast(String version, int major, int minor) {
        String[] parts = version.split("[.-]");
        int ma = Integer.parseInt(parts[0]);
        int mi = parts.length > 1 && parts[1].matches("\\d+") ? Integer.parseInt(parts[1]) : 0;
        return ma > major || ma == major && mi >= minor;
    }
}
