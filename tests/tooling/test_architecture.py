"""The shape of the code: no import cycles in codegen/, stages that depend only
on what they should, and every registered op complete (converter, numpy
evaluator, view, runtime classes, a test row against Keras)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "codegen" / "keras2java"
RUNTIME = REPO / "java-runtime/src/main/java/keras2java/runtime"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def import_graph() -> dict[str, set[str]]:
    """Module -> the keras2java modules it imports (anywhere, also inside
    functions; not under ``if TYPE_CHECKING``)."""
    modules = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        tree = ast.parse(path.read_text("utf-8"))
        skip = {id(n) for top in ast.walk(tree) if isinstance(top, ast.If) and _is_type_checking(top)
                for n in ast.walk(top)}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                # "from . import x" / "from .pkg import sub": the names may be submodules
                subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in modules]
                targets = subs or [mod]
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            # a package importing its own submodules (registration) is not a cycle of design
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def reachable(graph, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        v = todo.pop()
        for w in graph[v]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def test_no_import_cycles():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles in codegen/keras2java: " + "; ".join(" <-> ".join(c) for c in found)


def test_cycle_check_can_fail():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("stage", ["keras2java.validate", "keras2java.builder", "keras2java.reference",
                                   "keras2java.analysis", "keras2java.ops", "keras2java.reader"])
def test_stage_does_not_depend_on_the_emitter(stage):
    graph = import_graph()
    bad = sorted(m for m in reachable(graph, stage) if m.startswith(("keras2java.emit", "keras2java.golden",
                                                                     "keras2java.pipeline")))
    assert not bad, f"{stage} imports {bad}"


def test_ir_holds_only_the_graph():
    graph = import_graph()
    assert not {m for m in graph["keras2java.ir"] if m != "keras2java.ops.base"}, graph["keras2java.ir"]
    tree = ast.parse((PKG / "ir.py").read_text("utf-8"))
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    assert not {c for c in classes if c.endswith("Op")}, classes


# -- completeness of the op registry -----------------------------------------------------------

def _ops():
    from keras2java.ops import op_classes
    return op_classes()


def _keras_test_sources() -> str:
    return "\n".join(p.read_text("utf-8") for p in (REPO / "tests").rglob("*.py"))


#: Plugins whose tests run in CI: example plugins and test-only ones.
PLUGIN_DIRS = (REPO / "examples" / "plugins", REPO / "tests" / "plugins")


def _tested_plugin_sources() -> str:
    """The sources of the plugins some test loads (a test names the plugin's file)."""
    tests = "\n".join(p.read_text("utf-8") for p in (REPO / "tests").rglob("test_*.py"))
    return "\n".join(p.read_text("utf-8") for d in PLUGIN_DIRS for p in sorted(d.glob("*.py"))
                     if p.stem != "__init__" and re.search(r"[\"'/]" + re.escape(p.name) + r"[\"']", tests))


def incomplete_ops(ops, origins, runtime, plugin_sources: str) -> list[str]:
    """Why registered ops are incomplete.  Every op needs a numpy evaluator, a
    view (unless an alias) and existing runtime classes.  An op built from a
    Keras class needs a converter that builds it (in its own module, or naming it
    from another); a primitive op (one plugins compose) must be built by a tested
    plugin through each of its graph methods."""
    from keras2java.ops import Op

    problems = []
    for cls in ops:
        name = cls.__name__
        if cls.evaluate is Op.evaluate:
            problems.append(f"{name}: no numpy evaluator")
        if not cls.alias:
            if cls.view is Op.view:
                problems.append(f"{name}: no view")
            if not cls.runtime:
                problems.append(f"{name}: declares no runtime class")
        missing = [r for r in cls.runtime if r not in runtime]
        if missing:
            problems.append(f"{name}: runtime classes {missing} are not in java-runtime")
        if getattr(cls, "primitive", False):
            methods = getattr(cls, "graph_methods", ())
            if not methods:
                problems.append(f"{name}: a primitive op names no graph method that builds it")
            unused = [m for m in methods if not re.search(r"\." + re.escape(m) + r"\(", plugin_sources)]
            if unused:
                problems.append(f"{name}: no tested plugin calls g.{', g.'.join(unused)}(...)")
        elif cls.__module__ not in origins and not any(_builds(m, name) for m in origins):
            problems.append(f"{name}: no converter builds it ({cls.__module__} has none, and no converter module "
                            "names it)")
    return problems


def _builds(module: str, op_name: str) -> bool:
    """Whether the converter module ``module`` builds ``op_name`` (the ops of the tensor-op
    IR, :mod:`keras2java.ops.tensor_ops`, are built by the converters of other modules)."""
    path = PKG.joinpath(*module.split(".")[1:]).with_suffix(".py")
    return path.is_file() and re.search(r"\b" + re.escape(op_name) + r"\b", path.read_text("utf-8")) is not None


def test_every_op_is_complete():
    from keras2java.ops import layer_specs

    origins = {s.origin for s in layer_specs().values() if s.builtin}
    runtime = {p.stem for p in RUNTIME.glob("*.java")}
    problems = incomplete_ops(_ops(), origins, runtime, _tested_plugin_sources())
    assert not problems, "\n".join(problems)


def test_primitive_ops_are_known_to_the_graph():
    from keras2java.ops.primitive import primitive_ops
    from keras2java.plugins import Graph

    assert {c for c in _ops() if getattr(c, "primitive", False)} == set(primitive_ops())
    for cls in primitive_ops():
        for m in cls.graph_methods:
            assert callable(getattr(Graph, m, None)), f"{cls.__name__}: Graph has no method {m}"


def test_completeness_check_can_fail():
    """The rule reports an op without converter, a primitive no tested plugin
    builds, and one that names no graph method."""
    from dataclasses import dataclass
    from typing import ClassVar

    from keras2java.ops import Op
    from keras2java.ops.primitive import PrimitiveOp

    @dataclass(frozen=True)
    class LonelyOp(Op):
        runtime: ClassVar[tuple] = ("TensorOps",)

        def evaluate(self, inputs):
            return inputs

        def view(self, node, ctx):
            return None

    @dataclass(frozen=True)
    class UntestedOp(LonelyOp, PrimitiveOp):
        graph_methods: ClassVar[tuple] = ("frobnicate", "softmax")

    @dataclass(frozen=True)
    class NamelessOp(LonelyOp, PrimitiveOp):
        pass

    problems = incomplete_ops((LonelyOp, UntestedOp, NamelessOp), {"keras2java.ops.core"}, {"TensorOps"},
                              "g.softmax(x)")
    assert problems == [f"LonelyOp: no converter builds it ({__name__} has none, and no converter module names it)",
                        "UntestedOp: no tested plugin calls g.frobnicate(...)",
                        "NamelessOp: a primitive op names no graph method that builds it"]


def test_every_keras_class_has_a_test_row_against_keras():
    from keras2java.ops import layer_specs

    text = _keras_test_sources()
    missing = [name for name, spec in layer_specs().items()
               if spec.builtin and not re.search(r"\." + re.escape(name) + r"\(|[\"']" + re.escape(name) + r"[\"']", text)]
    assert not missing, f"Keras classes without a test row building them: {missing}"


def test_views_use_only_declared_runtime_classes(tmp_path):
    """Every runtime class a generated model refers to is declared by its ops (so the
    generated code imports only what it uses) and every declared class exists."""
    from keras2java.emit.views import MODEL_RUNTIME
    from keras2java.emit.scan import runtime_classes_used
    import keras2java.pipeline as pipeline

    model = pipeline.load(str(REPO / "examples" / "har_lstm.keras"))
    from keras2java.emit import java as emit_java
    from keras2java.emit import weights as wl
    layout, _ = wl.layout(model)
    from keras2java.emit.views import build_view
    view = build_view(model, "p", "C", "rt", "0", "embedded", layout, emit_java.public_runtime_classes())
    for op_view, node in zip(view.ops, model.nodes):
        assert runtime_classes_used(op_view) <= set(node.op.runtime) | set(MODEL_RUNTIME), node.class_name
