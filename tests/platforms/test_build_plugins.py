"""The Maven and Gradle plugins (build-plugins/): fresh projects with two models in src/main/keras and only
the plugin (and their test framework) declared build, run an application that uses both generated classes
and run the generated golden tests; unchanged models are not converted again (Maven skips them, Gradle's
task is UP-TO-DATE); each bad input fails the build with one line naming the model file and leaves no
generated file behind.  Maven Central must be reachable (plugins and JUnit are downloaded on first use)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from support.build_plugins import (VERSION, generated_files, gradle, gradle_build, install_plugins, maven_pom, mvn,
                                   write_project)
from support.util import EXAMPLE, REPO, keras2java_on_path

pytestmark = [pytest.mark.java, pytest.mark.slow, pytest.mark.keras]

APP = """package app;

import java.util.Arrays;
import models.HarLstm;
import models.SensorGru;

/** Runs both generated models on the same synthetic pattern. */
public final class App {
    static float[][] pattern(int steps, int features) {
        float[][] x = new float[steps][features];
        for (int t = 0; t < steps; t++) {
            for (int f = 0; f < features; f++) {
                x[t][f] = (float) Math.sin(0.3 * t + 0.7 * f);
            }
        }
        return x;
    }

    public static void main(String[] args) {
        System.out.println("har " + Arrays.toString(new HarLstm().predict(pattern(7, 11))));
        System.out.println("gru " + Arrays.toString(new SensorGru().predict(pattern(6, 4))));
        System.out.println("labels " + HarLstm.LABELS.length);
    }
}
"""
# Maven runs `python -m keras2java` with this interpreter, Gradle the keras2java command on the PATH.
MAVEN_CONFIG = f"""<python>{sys.executable}</python>
<vectorKernels>true</vectorKernels>
<models>
  <model><name>har_lstm</name><labels>labels.txt</labels></model>
  <model><name>sensor_gru</name><weights>resource</weights></model>
</models>"""
GRADLE_CONFIG = """    vectorKernels = true
    models {
        har_lstm { labels = file('labels.txt') }
        sensor_gru { weights = 'resource' }
    }"""


def _pattern(steps: int, features: int) -> np.ndarray:
    t, f = np.meshgrid(np.arange(steps), np.arange(features), indexing="ij")
    return np.sin(0.3 * t + 0.7 * f).astype(np.float32)[None]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """har_lstm.keras and a weights-only GRU (sensor_gru.weights.h5 + sensor_gru.json), the outputs Keras
    gives for the App's inputs, and a model with a layer keras2java does not support."""
    import keras
    d = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(5)
    gru = keras.Sequential([keras.Input((6, 4), name="frames"), keras.layers.GRU(5),
                            keras.layers.Dense(3, activation="softmax")], name="sensor_gru")
    gru.save_weights(d / "sensor_gru.weights.h5")
    (d / "sensor_gru.json").write_text(gru.to_json())
    # a Lambda holds Python code keras2java never runs: refused unless a plugin claims it
    lam = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t * 2.0, name="doubler"),
                            keras.layers.Dense(2)])
    lam.save(d / "doubler.keras")
    har = keras.models.load_model(EXAMPLE)
    expected = {"har": har.predict(_pattern(7, 11), verbose=0)[0], "gru": gru.predict(_pattern(6, 4), verbose=0)[0]}
    files = {"har_lstm.keras": EXAMPLE, "sensor_gru.weights.h5": d / "sensor_gru.weights.h5",
             "sensor_gru.json": d / "sensor_gru.json"}
    return files, expected, d / "doubler.keras"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    install_plugins()
    return keras2java_on_path(tmp_path_factory.mktemp("bin"))


def _built_twice(root: Path, build_file: str, build_text: str, models, build, test_models=()) -> tuple:
    """A consumer project of both models (and ``test_models`` in src/test/keras), its labels and the App,
    built twice with ``build(project)``."""
    project = write_project(root / "app", build_file, build_text, models[0], APP)
    for name in test_models:
        (project / "src" / "test" / "keras").mkdir(parents=True, exist_ok=True)
        shutil.copy2(models[0][name], project / "src" / "test" / "keras" / name.replace("sensor", "probe"))
    (project / "labels.txt").write_text((REPO / "examples" / "labels.txt").read_text())
    (project / "settings.gradle").write_text("rootProject.name = 'plugin-consumer'\n")
    first = build(project)
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-3000:]
    return project, first, build(project)


def _check_app(classpath: str, expected: dict) -> None:
    run = subprocess.run(["java", "-cp", classpath, "app.App"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    for name in ("har", "gru"):
        got = np.array([float(v) for v in lines[name].strip("[]").split(",")], dtype=np.float32)
        np.testing.assert_allclose(got, expected[name], atol=1e-5, rtol=0)
    assert lines["labels"] == "3"


def _class_major(jar: Path, name: str) -> int:
    with zipfile.ZipFile(jar) as z:
        return int.from_bytes(z.read(name)[6:8], "big")


def _jar_has_kernels_and_weights(jar: Path) -> None:
    from keras2java.emit import runtime_package
    with zipfile.ZipFile(jar) as z:
        names = set(z.namelist())
    assert "models/SensorGru.weights" in names and "models/HarLstm.class" in names
    assert _class_major(jar, "models/HarLstm.class") == 52                                   # Java 8
    assert _class_major(jar, runtime_package().replace(".", "/") + "/VectorKernels.class") == 61   # Java 17


@pytest.fixture(scope="module")
def maven_project(models, env, tmp_path_factory):
    return _built_twice(tmp_path_factory.mktemp("maven"), "pom.xml", maven_pom("plugin-consumer", MAVEN_CONFIG),
                        models, lambda project: mvn(project, env, "package"))


def test_maven_plugin_builds_tests_and_runs_both_models(maven_project, models):
    project, first, _ = maven_project
    for cls in ("HarLstm", "SensorGru"):
        assert f"keras2java: src/main/keras/{'har_lstm.keras' if cls == 'HarLstm' else 'sensor_gru.weights.h5'} " \
               f"-> models.{cls}" in first.stdout
        report = (project / "target" / "surefire-reports" / f"models.{cls}Test.txt").read_text()
        assert "Tests run: 1, Failures: 0, Errors: 0, Skipped: 0" in report, report
    jar = project / "target" / "plugin-consumer-1.0.0.jar"
    _jar_has_kernels_and_weights(jar)
    _check_app(str(jar), models[1])


def test_maven_plugin_skips_unchanged_models(maven_project):
    project, _, second = maven_project
    assert second.returncode == 0, second.stdout[-5000:]
    assert "keras2java: src/main/keras/har_lstm.keras is unchanged, skipped" in second.stdout
    assert "keras2java: src/main/keras/sensor_gru.weights.h5 is unchanged, skipped" in second.stdout
    assert " -> models." not in second.stdout       # nothing converted again
    assert (project / "target" / "surefire-reports" / "models.SensorGruTest.txt").is_file()


@pytest.fixture(scope="module")
def gradle_project(models, env, tmp_path_factory):
    return _built_twice(tmp_path_factory.mktemp("gradle"), "build.gradle", gradle_build(GRADLE_CONFIG), models,
                        lambda project: gradle(project, env, "build"), ("sensor_gru.weights.h5", "sensor_gru.json"))


def test_gradle_plugin_builds_tests_and_runs_both_models(gradle_project, models):
    project, first, _ = gradle_project
    assert ":generateKeras2Java" in first.stdout and ":compileKeras2JavaVector" in first.stdout
    assert ":generateTestKeras2Java" in first.stdout      # src/test/keras: a class for the tests, and its test
    assert (project / "build" / "generated" / "keras2java" / "test" / "java" / "models" / "ProbeGru.java").is_file()
    for cls in ("HarLstm", "SensorGru", "ProbeGru"):
        report = (project / "build" / "test-results" / "test" / f"TEST-models.{cls}Test.xml").read_text()
        assert 'tests="1"' in report and 'failures="0"' in report and 'errors="0"' in report, report
    jar = project / "build" / "libs" / "plugin-consumer.jar"
    _jar_has_kernels_and_weights(jar)
    _check_app(str(jar), models[1])


def test_gradle_plugin_task_is_up_to_date_the_second_time(gradle_project):
    _, _, second = gradle_project
    assert second.returncode == 0, second.stdout[-5000:]
    assert ":generateKeras2Java UP-TO-DATE" in second.stdout
    assert ":generateTestKeras2Java UP-TO-DATE" in second.stdout


# name -> (model files, plugin settings as Maven XML, as Gradle DSL, the expected message)
BAD = {
    "not-a-model": ({"broken.keras": b"not a zip archive"}, "", "",
                    "src/main/keras/broken.keras: not a Keras model file"),
    "same-class": ({"har_lstm.keras": EXAMPLE, "harLstm.keras": EXAMPLE}, "", "",
                   "src/main/keras/harLstm.keras and src/main/keras/har_lstm.keras both map to class models.HarLstm"),
    "bad-package": ({"har_lstm.keras": EXAMPLE}, "<packageName>com.1bad</packageName>", "packageName = 'com.1bad'",
                    "src/main/keras/har_lstm.keras: invalid --package 'com.1bad'"),
    "unsupported-layer": ({}, "", "", "src/main/keras/doubler.keras: cannot convert model: 1 problem(s): "
                                      "layer 'doubler' (Lambda): Lambda layers hold Python code"),
    "no-keras2java": ({"har_lstm.keras": EXAMPLE}, "<command><c>/nonexistent/keras2java</c></command>",
                      "command = ['/nonexistent/keras2java']",
                      "src/main/keras/har_lstm.keras: cannot run keras2java (/nonexistent/keras2java)"),
}


def _bad_projects(root: Path, models, build_file: str, make) -> None:
    for name, (files, maven_xml, gradle_dsl, _) in BAD.items():
        files = files or {"doubler.keras": models[2]}
        write_project(root / name, build_file, make(name, maven_xml, gradle_dsl), files)


def _no_output(project: Path, *roots: str) -> None:
    for root in roots:
        assert generated_files(project / root) == [], (project, root)


def test_maven_plugin_bad_inputs_fail_with_one_line_naming_the_file(models, env, tmp_path):
    _bad_projects(tmp_path, models, "pom.xml", lambda name, xml, _: maven_pom(name, xml))
    modules = "".join(f"<module>{n}</module>" for n in BAD)
    (tmp_path / "pom.xml").write_text(f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion><groupId>demo</groupId><artifactId>bad</artifactId><version>1</version>
  <packaging>pom</packaging><modules>{modules}</modules></project>""")
    build = mvn(tmp_path, env, "--fail-at-end", "generate-sources")
    assert build.returncode != 0
    errors = dict(re.findall(r"^\[ERROR\] Failed to execute goal io\.keras2java:keras2java-maven-plugin:"
                             rf"{re.escape(VERSION)}:generate \(default\) on project ([\w-]+): (.*) -> \[Help 1\]$",
                             build.stdout, re.M))
    assert set(errors) == set(BAD), build.stdout[-5000:]
    for name, (*_, message) in BAD.items():
        assert errors[name].startswith(message), (name, errors[name])
        _no_output(tmp_path / name, "target/generated-sources", "target/generated-test-sources",
                   "target/generated-resources", "target/keras2java")


def test_gradle_plugin_bad_inputs_fail_with_one_line_naming_the_file(models, env, tmp_path):
    _bad_projects(tmp_path, models, "build.gradle", lambda name, _, dsl: gradle_build(dsl))
    (tmp_path / "settings.gradle").write_text("".join(f"include '{n}'\n" for n in BAD))
    build = gradle(tmp_path, env, "--continue", "compileJava")
    assert build.returncode != 0
    text = build.stdout + build.stderr
    errors = dict(re.findall(r"^Execution failed for task ':([\w-]+):generateKeras2Java'\.\n> (.*)\n\n", text, re.M))
    assert set(errors) == set(BAD), text[-5000:]
    for name, (*_, message) in BAD.items():
        assert errors[name].startswith(message), (name, errors[name])
        _no_output(tmp_path / name, "build/generated", "build/classes")
