"""What a generated package holds: only the runtime classes its model needs (the
closure of what the model class names over the runtime's own dependency table,
``emit/runtime_deps.REFERENCES``, checked here against the Java sources), or all of
them with ``--runtime full``; and every source is ASCII, so it compiles with
``javac -encoding US-ASCII`` (what javac reads with ``LANG`` unset)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from keras2java.emit import runtime_deps, runtime_package
from support.util import EXAMPLE, REPO, run_cli

RUNTIME = REPO / "java-runtime" / "src" / "main" / "java" / "keras2java" / "runtime"
VECTOR = REPO / "java-runtime" / "src" / "vector" / "java" / "keras2java" / "runtime"


def _code(text: str) -> str:
    """Java source without comments, string and char literals (class names there are no references)."""
    return re.sub(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', " ", text, flags=re.S)


def _references(path: Path, names) -> set[str]:
    code = _code(path.read_text("utf-8"))
    return {n for n in names if n != path.stem and re.search(rf"\b{n}\b", code)}


def test_every_runtime_and_template_file_is_ascii():
    files = [p for root in (REPO / "java-runtime", REPO / "templates") for p in root.rglob("*") if p.is_file()]
    assert len(files) > 40
    bad = []
    for p in files:
        for no, line in enumerate(p.read_bytes().split(b"\n"), 1):
            if re.search(rb"[^\x00-\x7f]", line):
                bad.append(f"{p.relative_to(REPO)}:{no}")
    assert not bad, "non-ASCII characters (javac reads sources as US-ASCII when LANG is unset): " + ", ".join(bad)


def test_dependency_table_matches_the_runtime_sources():
    names = sorted(p.stem for p in RUNTIME.glob("*.java"))
    problems = [f"{n}.java is not in emit/runtime_deps.REFERENCES" for n in names if n not in runtime_deps.REFERENCES]
    problems += [f"REFERENCES names {n}, which has no {n}.java" for n in runtime_deps.REFERENCES if n not in names]
    for n in names:
        if n in runtime_deps.REFERENCES:
            found = _references(RUNTIME / f"{n}.java", names)
            table = set(runtime_deps.REFERENCES[n])
            if found != table:
                problems.append(f"{n}.java refers to {sorted(found)}, REFERENCES[{n!r}] says {sorted(table)}")
    for p in VECTOR.glob("*.java"):   # the Vector API kernels ship with VECTOR's closure
        missing = _references(p, names) - runtime_deps.closure(runtime_deps.VECTOR)
        if missing:
            problems.append(f"{p.name} refers to {sorted(missing)}, not in the closure of VECTOR")
    assert not problems, "emit/runtime_deps.REFERENCES is out of date:\n" + "\n".join(problems)


def test_closure_follows_references():
    assert runtime_deps.closure(["Dense"]) == {"Dense", "Activation", "Check", "Linear", "Erf", "Kernels",
                                               "PortableKernels", "IntraOp"}
    assert runtime_deps.closure(["TextVectorizer"]) == {"TextVectorizer", "StringHash"}
    with pytest.raises(RuntimeError, match="NoSuchClass"):
        runtime_deps.closure(["NoSuchClass"])


def _runtime_in(src: Path) -> set[str]:
    return {p.stem for p in (src / runtime_package().replace(".", "/")).glob("*.java")}


def _ascii_javac(src: Path, classes: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LANG" and not k.startswith("LC_")}
    proc = subprocess.run(["javac", "-encoding", "US-ASCII", "--release", "8", "-Werror", "-Xlint:-options",
                           "-d", str(classes), *map(str, src.rglob("*.java"))], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.java
def test_example_package_holds_only_its_runtime_and_compiles_as_ascii(tmp_path):
    src = tmp_path / "src"
    proc = run_cli("convert", str(EXAMPLE), "--out", str(src), "--package", "com.example.har", "--class", "ActionModel")
    assert proc.returncode == 0, proc.stderr
    files = sorted(src.rglob("*.java"))
    assert len(files) <= 16, [p.name for p in files]
    rt = _runtime_in(src)
    assert rt == runtime_deps.closure(rt)
    assert {"LstmCell", "Dense", "Recurrent", "Check", "Weights"} <= rt
    assert not rt & {"TextVectorizer", "MultiHeadAttention", "Conv2D", "GruCell", "Vocabulary", "Embedding"}
    assert all(re.fullmatch(rb"[\x00-\x7f]*", p.read_bytes()) for p in files)
    _ascii_javac(src, tmp_path / "classes")


@pytest.mark.java
def test_runtime_full_holds_every_runtime_class(tmp_path):
    src = tmp_path / "src"
    proc = run_cli("convert", str(EXAMPLE), "--out", str(src), "--package", "p", "--runtime", "full", "-q")
    assert proc.returncode == 0, proc.stderr
    assert _runtime_in(src) == {p.stem for p in RUNTIME.glob("*.java")}
    bad = run_cli("convert", str(EXAMPLE), "--out", str(tmp_path / "x"), "--runtime", "some")
    assert bad.returncode == 2 and "--runtime" in bad.stderr and not (tmp_path / "x").exists()


def test_api_runtime_option_is_checked_before_anything_is_written(tmp_path):
    from keras2java import OptionError, convert
    with pytest.raises(OptionError, match="--runtime"):
        convert(str(EXAMPLE), str(tmp_path / "out"), runtime="some")
    assert not (tmp_path / "out").exists()
    result = convert(str(EXAMPLE), str(tmp_path / "out"), package="p", class_name="M", runtime="full")
    assert sum(f.endswith(".java") for f in result.files) == 2 + len(list(RUNTIME.glob("*.java")))


def _family_models(keras):
    """Small models of different op families (each package gets a different runtime)."""
    L = keras.layers
    conv_in = keras.Input((12, 12, 3))
    conv = keras.Model(conv_in, L.Dense(4, activation="softmax")(L.Flatten()(L.MaxPooling2D()(
        L.Conv2D(5, 3, activation="relu")(conv_in)))))
    text_in = keras.Input((1,), dtype="string")
    vocab = ["a", "b", "\u00e9t\u00e9", "\u65e5\u672c"]   # non-ASCII tokens: escaped in the Java source
    vec = L.TextVectorization(max_tokens=20, output_sequence_length=6, vocabulary=vocab)
    text = keras.Model(text_in, L.GRU(3)(L.Embedding(20, 4)(vec(text_in))))
    q = keras.Input((5, 4))
    att = keras.Model(q, L.GlobalAveragePooling1D()(L.LayerNormalization()(L.MultiHeadAttention(2, 3)(q, q))))
    seq = keras.Input((None, 3))
    bi = L.Bidirectional(L.SimpleRNN(4, return_sequences=True))(L.Masking()(seq))
    rnn = keras.Model(seq, L.Concatenate()([bi, L.Conv1D(2, 1)(seq)]))
    return {"conv2d": conv, "text": text, "attention": att, "masked_rnn": rnn}


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_packages_of_other_op_families_compile_with_only_their_closure(tmp_path):
    keras = pytest.importorskip("keras")
    from keras2java import convert
    runtimes = {}
    for name, model in _family_models(keras).items():
        src = tmp_path / name
        convert(model, str(src), package="p", class_name="M")
        rt = _runtime_in(src)
        assert rt == runtime_deps.closure(rt) and len(rt) < len(list(RUNTIME.glob("*.java"))), name
        _ascii_javac(src, tmp_path / f"{name}-classes")
        runtimes[name] = rt
    assert "TextVectorizer" in runtimes["text"] and "TextVectorizer" not in runtimes["conv2d"]
    assert "MultiHeadAttention" in runtimes["attention"] and "Conv2D" in runtimes["conv2d"]
    assert {"Bidirectional", "SimpleRnnCell", "Masks"} <= runtimes["masked_rnn"]


def _allocations(src: Path, work: Path, cls: str, steps: int = 5) -> dict:
    """``tests/java/AllocationProbe.java`` on a generated class: path -> (bytes per call, bytes of its outputs,
    bytes of bookkeeping allowed besides them: the batch paths' sample order and wrappers)."""
    classes = work / "alloc-classes"
    classes.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "--release", "8", "-nowarn", "-d", str(classes), *map(str, src.rglob("*.java")),
                    str(REPO / "tests" / "java" / "AllocationProbe.java")], check=True, capture_output=True)
    run = subprocess.run(["java", "-cp", str(classes), "AllocationProbe", cls, str(steps)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "unmeasurable" not in run.stdout, run.stdout + run.stderr
    return {ln.split()[0]: (int(ln.split()[1]), int(ln.split()[2]), int((ln.split() + ["0"])[3]))
            for ln in run.stdout.splitlines()}


def _check_allocations(found: dict, name: str) -> None:
    for path, (per_call, outputs, bookkeeping) in found.items():
        # steady state: the returned arrays only (the JIT may remove some allocations, never add); the
        # batch paths reuse their instances' buffers too (Parallel.Pool), so only their bookkeeping adds
        assert per_call <= outputs + bookkeeping, \
            f"{name}: {path} allocates {per_call} bytes per call, its outputs {outputs} (+{bookkeeping})"


@pytest.mark.java
def test_example_predict_allocates_only_its_outputs(tmp_path):
    src = tmp_path / "src"
    assert run_cli("convert", str(EXAMPLE), "--out", str(src), "--package", "p", "--class", "M", "-q").returncode == 0
    found = _allocations(src, tmp_path, "p.M", 7)
    assert set(found) == {"predictAll", "predict", "stepAll", "predictAllBatch", "predictBatch"}
    _check_allocations(found, "har_lstm")


def _wiring_models(keras):
    """Models whose wiring has small argument arrays: merges of variable-length inputs (the
    timestep-agreement check), a permute, TimeDistributed, several outputs."""
    L = keras.layers
    a, b = keras.Input((None, 3)), keras.Input((None, 3))
    ra = L.LSTM(4, return_sequences=True)(a)
    merged = L.Concatenate()([ra, L.GRU(2, return_sequences=True)(b)])
    merge = keras.Model([a, b], [L.GRU(3)(L.Add()([merged, L.TimeDistributed(L.Dense(6))(b)])), L.Dense(2)(ra)])
    p = keras.Input((6, 4))
    permute = keras.Model(p, L.Dense(3)(L.Flatten()(L.Conv1D(2, 3)(L.Permute((2, 1))(p)))))
    return {"merge": merge, "permute": permute}


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_wiring_allocates_only_the_outputs(tmp_path):
    keras = pytest.importorskip("keras")
    from keras2java import convert
    for name, model in _wiring_models(keras).items():
        src = tmp_path / name
        convert(model, str(src), package=name, class_name="M")
        found = _allocations(src, tmp_path / f"{name}-work", f"{name}.M")
        assert "predictAll" in found, found
        _check_allocations(found, name)
