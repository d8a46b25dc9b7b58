"""The test suite's own structure, checked by parsing its sources (no imports):

* test modules live by subject in the agreed folders (``TEST_FOLDERS``): a layer
  family's Keras rows in ``tests/layers/test_<family>.py``, one file for each
  ``codegen/keras2java/ops/<family>.py`` that registers converters (and only for
  those); scenarios across layers in ``tests/scenarios``; builds and deployments in
  ``tests/platforms``; the Java runtime's own tests in ``tests/runtime``; the
  generator's interfaces and stages in ``tests/tooling``; file names are unique;
* a test module's docstring says what it tests, not which issue asked for it;
* no module under tests/ imports a ``test_*`` module: shared builders, preparers and
  helpers live in the ``tests/support`` package;
* nothing under tests/ imports TensorFlow or Keras at module level, so that
  every test module is collected without TensorFlow (``pytest -m "not keras"``);
* test modules define no dataclasses: the one model case type is
  ``support.keras_cases.Case``;
* a test module that builds Keras models or runs Java carries the ``keras`` /
  ``java`` marker (on the module or on its tests; see pyproject.toml).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
OPS = TESTS.parent / "codegen" / "keras2java" / "ops"
SOURCES = sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)
TEST_MODULES = sorted(p for p in TESTS.rglob("test_*.py") if "__pycache__" not in p.parts)
KERAS_ROOTS = {"tensorflow", "keras", "tf_keras"}

#: where a test module goes (tests/README: "Where does my test go?")
TEST_FOLDERS = {
    "layers": "one layer family: its Keras rows, refusals and generated API (tests/layers/test_<family>.py)",
    "scenarios": "behaviour across layers: graphs, masks, legacy formats, weights, batch, fuzzing, limits, bad inputs",
    "platforms": "builds and deployments: Maven, Gradle, Android, Spark, Flink, Kotlin, packaging, demo",
    "runtime": "the Java runtime's own tests: kernels, vector kernels, stress",
    "tooling": "the generator's interfaces and stages: CLI, Python API, reader, emitter, writing, plugins, rules",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), filename=str(path))


def _rel(path: Path) -> str:
    return str(path.relative_to(TESTS))


def _imported_modules(node: ast.AST):
    """(line, dotted module name) of every import under ``node``; ``from a import b``
    yields both ``a`` and ``a.b`` (b may be a submodule)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Import):
            for alias in n.names:
                yield n.lineno, alias.name
        elif isinstance(n, ast.ImportFrom):
            base = "." * n.level + (n.module or "")
            if n.module:
                yield n.lineno, base
            for alias in n.names:
                yield n.lineno, f"{base}.{alias.name}" if n.module else base + alias.name


def _module_level(tree: ast.Module):
    """Statements executed on import: the module body and class bodies, if/try/with
    blocks included, function bodies and lambdas excluded."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        todo.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt))


def test_sources_found():
    assert len(TEST_MODULES) >= 20 and (TESTS / "support" / "__init__.py").is_file()
    assert len(_converter_families()) >= 10, "no ops modules found"


def _converter_families() -> set:
    """The ops modules that register converters (a ``converter(...)`` call, as decorator or not)."""
    return {p.stem for p in OPS.glob("*.py") if any(
        isinstance(n, ast.Call) and getattr(n.func, "id", None) == "converter" for n in ast.walk(_tree(p)))}


def test_test_modules_live_in_the_agreed_folders():
    misplaced = [_rel(p) for p in TEST_MODULES if len(p.relative_to(TESTS).parts) != 2
                 or p.parent.name not in TEST_FOLDERS]
    assert not misplaced, f"test modules outside {sorted(TEST_FOLDERS)}: {misplaced}"
    names = [p.name for p in TEST_MODULES]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_every_converter_family_has_its_test_file():
    """tests/layers/test_<family>.py exists for each ops/<family>.py with converters,
    and holds nothing else."""
    layers = {p.stem[len("test_"):] for p in TESTS.glob("layers/test_*.py")}
    families = _converter_families()
    assert not families - layers, f"ops families without tests/layers/test_<family>.py: {sorted(families - layers)}"
    others = {f for f in layers - families if not (OPS / f"{f}.py").is_file()}
    assert not others, f"tests/layers/ files that mirror no ops module: {sorted(others)}"


@pytest.mark.parametrize("path", TEST_MODULES, ids=_rel)
def test_docstring_says_what_is_tested_not_which_issue(path):
    doc = ast.get_docstring(_tree(path)) or ""
    assert doc.strip(), f"{_rel(path)} has no module docstring saying what it tests"
    found = re.findall(r"\b(?:[Ii]ssue|bug) #?\d+", doc)
    assert not found, f"{_rel(path)}: the docstring names {found}; say what is tested instead"


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_no_module_imports_a_test_module(path):
    bad = [f"line {line}: {name}" for line, name in _imported_modules(_tree(path))
           if any(part.startswith("test_") for part in name.lstrip(".").split("."))]
    assert not bad, f"{_rel(path)} imports test modules (move what it needs to tests/support/): {bad}"


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_no_tensorflow_import_at_module_level(path):
    bad = []
    for stmt in _module_level(_tree(path)):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bad += [f"line {line}: {name}" for line, name in _imported_modules(stmt)
                    if name.split(".")[0] in KERAS_ROOTS]
    assert not bad, f"{_rel(path)} imports TensorFlow/Keras on import (import it inside the function): {bad}"


@pytest.mark.parametrize("path", TEST_MODULES, ids=_rel)
def test_case_types_live_in_support(path):
    # module-level record types only (a test may define an op class locally to exercise a rule)
    classes = [n.name for n in _tree(path).body if isinstance(n, ast.ClassDef)
               and any("dataclass" in ast.unparse(d) for d in n.decorator_list)]
    assert not classes, f"{_rel(path)} defines dataclasses {classes}: use support.keras_cases.Case " \
                        f"(or add a record type to tests/support/)"


KERAS_HELPERS = {"support.keras_cases.keras", "support.keras_cases.tf_keras", "support.keras_cases.prepare",
                 "support.keras_cases.randomize", "support.keras_cases.keras_outputs", "support.cases_legacy.build",
                 "support.battery.KerasBattery"}
JAVA_HELPERS = {"support.harness.JavaBatch", "support.harness.java_bin", "support.util.javac"}
JAVA_COMMANDS = {"java", "javac", "mvn", "gradle"}


def _marks(tree: ast.Module) -> set:
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Attribute) and n.value.attr == "mark"}


@pytest.mark.parametrize("path", [p for p in TEST_MODULES if p.name != Path(__file__).name], ids=_rel)
def test_modules_needing_keras_or_java_are_marked(path):
    tree = _tree(path)
    imported = {name for _, name in _imported_modules(tree)}
    needs_keras = any(n.split(".")[0] in KERAS_ROOTS or n in KERAS_HELPERS
                      or n.startswith(("support.cases_core", "support.cases_graph", "support.cases_sequence",
                                       "support.cases_recurrent")) for n in imported)
    needs_java = bool(imported & JAVA_HELPERS) or any(
        isinstance(n, ast.Constant) and n.value in JAVA_COMMANDS for n in ast.walk(tree))
    marks = _marks(tree)
    missing = [m for m, needed in (("keras", needs_keras), ("java", needs_java)) if needed and m not in marks]
    assert not missing, f"{_rel(path)} needs {missing} but never uses pytest.mark.{missing[0]}"
