"""CLI behaviour: help, exit codes, one-line errors, nothing written on error.
No TensorFlow needed."""
from __future__ import annotations

import pytest

from support.util import EXAMPLE, rewrite_keras_config, run_cli


@pytest.mark.parametrize("args", [["--help"], ["convert", "--help"], ["inspect", "--help"]])
def test_help(args):
    proc = run_cli(*args)
    assert proc.returncode == 0
    assert "usage: keras2java" in proc.stdout


def test_help_documents_options():
    text = run_cli("convert", "--help").stdout
    for opt in ("--out", "--package", "--class", "--weights", "--architecture", "embedded", "resource",
                "--vector-out", "jdk.incubator.vector"):
        assert opt in text


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("keras2java ")


def test_convert_success(tmp_path):
    proc = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path / "o"), "--package", "com.acme.har",
                   "--class", "ActionModel")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o" / "com" / "acme" / "har" / "ActionModel.java").is_file()
    assert proc.stderr == ""


@pytest.mark.java
def test_vector_out_writes_the_jdk17_kernels_to_their_own_root(tmp_path):
    import subprocess

    from keras2java.emit import runtime_package
    proc = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path / "src"), "--vector-out", str(tmp_path / "vec"),
                   "--package", "com.acme")
    assert proc.returncode == 0, proc.stderr
    rt = runtime_package()
    fma, vec = sorted((tmp_path / "vec").rglob("*.java"))
    assert vec == tmp_path / "vec" / rt.replace(".", "/") / "VectorKernels.java"
    assert fma == vec.with_name("FmaKernels.java")
    assert vec.read_text().count(f"package {rt};") == 1 and fma.read_text().count(f"package {rt};") == 1
    assert not list((tmp_path / "src").rglob("VectorKernels.java"))
    assert not list((tmp_path / "src").rglob("FmaKernels.java"))
    classes = tmp_path / "classes"
    subprocess.run(["javac", "--release", "8", "-nowarn", "-d", str(classes),
                    *map(str, (tmp_path / "src").rglob("*.java"))], check=True)
    subprocess.run(["javac", "--release", "17", "--add-modules", "jdk.incubator.vector",
                    "-cp", str(classes), "-d", str(classes), str(vec), str(fma)], check=True, capture_output=True)
    (classes / "P.java").write_text(f"public class P {{ public static void main(String[] a) {{ "
                                    f"System.out.println({rt}.Kernels.active()); }} }}")
    subprocess.run(["javac", "-cp", str(classes), "-d", str(classes), str(classes / "P.java")], check=True)
    run = subprocess.run(["java", "--add-modules", "jdk.incubator.vector", "-Dkeras2java.kernels=vector",
                          "-cp", str(classes), "P"], capture_output=True, text=True)
    assert run.stdout.startswith("jdk.incubator.vector"), run.stdout + run.stderr


@pytest.mark.parametrize("where", ["src", "src/vec"])
def test_vector_out_must_be_its_own_root(tmp_path, where):
    proc = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path / "src"), "--vector-out", str(tmp_path / where))
    assert proc.returncode == 2 and "--vector-out" in proc.stderr and "--release 8" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not (tmp_path / "src").exists()


def test_inspect_shows_gates_and_semantics():
    proc = run_cli("inspect", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "keras_version: 3." in out and "relu6(x+3)/6" in out
    assert "layers/lstm/cell/vars/0[:, 15:30] (11, 60) -> W_f (input kernel, forget gate)" in out
    assert "lstm_1" in out and "[7, 11] -> [7, 15]" in out


def _assert_user_error(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("keras2java: error: ")
    assert "Traceback" not in proc.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.mark.parametrize("package,cls,fragment", [
    ("com.acme.class", "M", "keyword"),
    ("com.1acme", "M", "not a Java identifier"),
    ("com.acme", "1Model", "not a Java identifier"),
    ("com.acme", "Net", "nested class"),
    ("com.acme", "String", "java.lang.String"),
    ("java.util", "M", "java.*"),
])
def test_invalid_names(tmp_path, package, cls, fragment):
    out = tmp_path / "o"
    proc = run_cli("convert", str(EXAMPLE), "--out", str(out), "--package", package, "--class", cls)
    _assert_user_error(proc, fragment)
    assert not out.exists()


def test_missing_file(tmp_path):
    out = tmp_path / "o"
    _assert_user_error(run_cli("convert", str(tmp_path / "nope.keras"), "--out", str(out)), "no such file")
    assert not out.exists()


def test_unsupported_layers_listed_nothing_written(tmp_path):
    bad = tmp_path / "bad.keras"

    def edit(cfg):
        cfg["config"]["layers"][1]["class_name"] = "Lambda"
        cfg["config"]["layers"][2]["class_name"] = "Frobnicate"
        return cfg

    rewrite_keras_config(EXAMPLE, bad, edit)
    out = tmp_path / "o"
    proc = run_cli("convert", str(bad), "--out", str(out))
    _assert_user_error(proc, "2 problem(s)", "'lstm_1' (Lambda)", "'lstm_2' (Frobnicate)", "Supported layer classes")
    assert not out.exists()


def test_usage_error_is_one_line():
    proc = run_cli("convert")
    _assert_user_error(proc, "see --help")
