"""The Gradle example builds with the installed Gradle (Debian's 4.4.1 here)
and the keras2java Gradle plugin (installed by build-plugins/install.sh): the
plugin generates its two models' Java before compileJava, the app compiles
with it, the generated golden-vector test runs under JUnit 4, generation is
UP-TO-DATE when nothing changed, and the run task prints both predictions."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from support.build_plugins import install_plugins, labelled_prediction
from support.util import REPO, keras2java_on_path

pytestmark = [pytest.mark.java, pytest.mark.slow]

GRADLE = shutil.which("gradle")


def _gradle(project: Path, *args: str, env) -> subprocess.CompletedProcess:
    return subprocess.run([GRADLE or "gradle", "--no-daemon", "--console=plain", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)


def test_gradle_example_builds_tests_and_runs(tmp_path):
    assert GRADLE is not None, "gradle must be installed (scripts/setup.sh installs it)"
    project = tmp_path / "gradle-example"
    shutil.copytree(REPO / "gradle-example", project, ignore=shutil.ignore_patterns("build", ".gradle"))
    install_plugins()
    env = keras2java_on_path(tmp_path)

    first = _gradle(project, "build", env=env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert ":generateKeras2Java" in first.stdout and ":compileJava" in first.stdout
    generated = project / "build" / "generated" / "keras2java" / "main"
    assert (generated / "java" / "demo" / "model" / "HarModel.java").is_file()
    assert (generated / "java" / "demo" / "model" / "Sentiment.java").is_file()
    assert (generated / "test" / "demo" / "model" / "HarModelTest.java").is_file()
    report = (project / "build" / "test-results" / "test" / "TEST-demo.model.HarModelTest.xml").read_text()
    assert 'tests="1"' in report and 'failures="0"' in report and 'errors="0"' in report

    # Gradle runs on JDK 17 here: the vector kernels are compiled (Java 17 class file) into the jar.
    assert ":compileKeras2JavaVector" in first.stdout
    import zipfile

    from keras2java.emit import runtime_package
    (jar,) = (project / "build" / "libs").glob("*.jar")
    vec = runtime_package().replace(".", "/") + "/VectorKernels.class"
    with zipfile.ZipFile(jar) as z:
        assert int.from_bytes(z.read(vec)[6:8], "big") == 61
        assert int.from_bytes(z.read("demo/model/HarModel.class")[6:8], "big") == 52

    second = _gradle(project, "build", env=env)
    assert second.returncode == 0, second.stdout[-3000:]
    assert ":generateKeras2Java UP-TO-DATE" in second.stdout

    run = _gradle(project, "-q", "run", env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "activity probabilities: [" in run.stdout and labelled_prediction(run.stdout)
    assert 'sentiment [negative, positive]: [' in run.stdout
