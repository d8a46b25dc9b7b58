"""`convert --build maven` makes a standalone Maven project (jar with the
weights resource, generated JUnit 5 golden test), and examples/maven
generates its two models' Java inside a Maven build with the keras2java Maven
plugin (installed by build-plugins/install.sh).  Maven Central must be
reachable (plugins and JUnit are downloaded on first use)."""
from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from support.util import EXAMPLE, REPO, keras2java_on_path, run_cli


def _mvn(project: Path, env=None) -> subprocess.CompletedProcess:
    mvn = shutil.which("mvn")
    assert mvn is not None, "Maven (mvn) must be installed"
    return subprocess.run([mvn, "-q", "-B", "package"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=1200)


def _surefire_ok(project: Path, test: str) -> None:
    report = (project / "target" / "surefire-reports" / f"{test}.txt").read_text()
    assert "Tests run: 1, Failures: 0, Errors: 0, Skipped: 0" in report, report


@pytest.mark.java
@pytest.mark.slow
def test_build_maven_packages_a_jar(tmp_path):
    out = tmp_path / "harmodel"
    proc = run_cli("convert", str(EXAMPLE), "--out", str(out), "--package", "demo.model", "--class", "HarModel",
                   "--build", "maven", "--with-test", "--weights", "resource", "--group-id", "com.acme",
                   "--artifact-version", "2.1.0")
    assert proc.returncode == 0, proc.stderr
    assert "src/main/java/demo/model/HarModel.java" in proc.stdout
    pom = (out / "pom.xml").read_text("utf-8")
    assert "<groupId>com.acme</groupId>" in pom and "<artifactId>harmodel</artifactId>" in pom
    assert (out / "src" / "main" / "resources" / "demo" / "model" / "HarModel.weights").is_file()
    assert (out / "src" / "test" / "java" / "demo" / "model" / "HarModelTest.java").is_file()
    build = _mvn(out)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    _surefire_ok(out, "demo.model.HarModelTest")
    with zipfile.ZipFile(out / "target" / "harmodel-2.1.0.jar") as jar:
        names = set(jar.namelist())
    assert "demo/model/HarModel.class" in names and "demo/model/HarModel.weights" in names
    assert not any("Golden" in n or n.endswith("Test.class") for n in names)   # tests stay out of the jar
    _check_vector_kernels_in_jar(out / "target" / "harmodel-2.1.0.jar", tmp_path)


def _check_vector_kernels_in_jar(jar_path: Path, tmp_path: Path) -> None:
    """Built with JDK 17+, the jar holds the Java 8 classes and the optional FMA and Vector API
    kernels; a JVM with jdk.incubator.vector can use the vector ones, JDK 17 without flags the FMA ones."""
    from keras2java.emit import runtime_package
    rt = runtime_package()
    with zipfile.ZipFile(jar_path) as jar:
        major = {n: int.from_bytes(jar.read(n)[6:8], "big") for n in jar.namelist() if n.endswith(".class")}
    optional = (rt.replace(".", "/") + "/VectorKernels", rt.replace(".", "/") + "/FmaKernels")
    assert {major.pop(n) for n in list(major) if n.startswith(optional)} == {61}   # Java 17
    assert set(major.values()) == {52}               # everything else: Java 8
    probe = tmp_path / "KernelsProbe.java"
    probe.write_text(f"public class KernelsProbe {{ public static void main(String[] a) {{ "
                     f"System.out.println({rt}.Kernels.active()); }} }}")
    subprocess.run(["javac", "-cp", str(jar_path), "-d", str(tmp_path), str(probe)], check=True)
    cp = f"{jar_path}:{tmp_path}"
    with_module = subprocess.run(["java", "--add-modules", "jdk.incubator.vector", "-Dkeras2java.kernels=vector",
                                  "-cp", cp, "KernelsProbe"], capture_output=True, text=True)
    assert with_module.stdout.startswith("jdk.incubator.vector"), with_module.stdout + with_module.stderr
    auto17 = subprocess.run(["java", "--add-modules", "jdk.incubator.vector", "-cp", cp, "KernelsProbe"],
                            capture_output=True, text=True)
    assert auto17.stdout.strip() == "portable Java with Math.fma"     # vector: auto picks them on Java 25+ only
    without = subprocess.run(["java", "-cp", cp, "KernelsProbe"], capture_output=True, text=True)
    assert without.stdout.strip() == "portable Java with Math.fma", without.stdout + without.stderr


@pytest.mark.java
@pytest.mark.slow
def test_maven_example_generates_during_the_build(tmp_path):
    from support.build_plugins import install_plugins, labelled_prediction
    project = tmp_path / "maven"
    shutil.copytree(REPO / "examples" / "maven", project, ignore=shutil.ignore_patterns("target"))
    install_plugins()
    env = keras2java_on_path(tmp_path)
    build = _mvn(project, env)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    _surefire_ok(project, "demo.model.HarModelTest")
    run = subprocess.run(["java", "-cp", str(project / "target" / "keras2java-maven-example-1.0.0.jar"), "demo.App"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "activity probabilities: [" in run.stdout and labelled_prediction(run.stdout)
    assert "sentiment [negative, positive]: [" in run.stdout


def test_maven_options_are_checked(tmp_path):
    bad = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path / "o"), "--build", "maven", "--group-id", "a b")
    assert bad.returncode == 2 and "invalid --group-id 'a b'" in bad.stderr and not (tmp_path / "o").exists()
    mixed = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path / "o"), "--build", "maven", "--with-test",
                    "--test-out", str(tmp_path / "t"))
    assert mixed.returncode == 2 and "--test-out cannot be combined with --build maven" in mixed.stderr
    vec = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path / "o"), "--build", "maven", "--vector-out",
                  str(tmp_path / "v"))
    assert vec.returncode == 2 and "--vector-out cannot be combined with --build maven" in vec.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "v").exists()
