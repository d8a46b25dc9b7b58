"""The whole conversion: read, build the IR, validate, plan the outputs, write."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Callable, Optional, Sequence

from . import emit
from .builder import build_model
from .emit.naming import check_class_name, check_package
from .emit.weights import STORAGES, storage_tolerance
from .errors import OptionError
from .ir import Model
from .reader import read_model
from .selftest import SelfTestOptions
from .validate import validate

#: Models above this many parameters report progress (reading and writing take seconds).
PROGRESS_PARAMS = 5_000_000


@dataclass(frozen=True)
class TestOptions:
    """``--with-test``: golden vectors and a JUnit test for the generated class."""

    junit: str = "5"            # "5", "4" or "none" (only the dependency-free <Class>Golden)
    samples: int = 5
    out_dir: Optional[str] = None   # where the tests go (default: the main output directory)
    reference: str = "auto"     # "auto", "keras" or "numpy"
    inputs: Optional[Sequence] = None   # samples to record instead of random ones

    def check(self) -> None:
        if self.junit not in ("5", "4", "none"):
            raise OptionError(f"--junit {self.junit!r}: expected 5, 4 or none")
        if not 1 <= self.samples <= 1000:
            raise OptionError(f"--test-samples {self.samples}: expected 1 to 1000")


@dataclass(frozen=True)
class ConvertOptions:
    """Everything ``convert`` is asked to do besides the model file and the output directory."""

    package: str = "models"
    class_name: str = "Model"
    weights: str = "auto"              # "auto", "embedded" or "resource"
    architecture: Optional[str] = None  # architecture JSON for a weights-only file
    labels: Optional[str] = None       # labels file (--labels)
    test: Optional[TestOptions] = None
    maven: Optional["emit.MavenOptions"] = None
    vector_out: Optional[str] = None   # a source root for the JDK 17+ Vector API kernels
    #: how the weights are stored: float32 (default, bit-exact), float16, bfloat16 or int8
    #: (compressed, expanded to float32 at load; the golden tolerance widens accordingly)
    weights_storage: str = "float32"
    #: which runtime classes the package holds: "used" (the closure the model needs) or "full"
    runtime: str = "used"
    #: ``--self-test``: the class carries one recorded sample and ``selfTest()``
    self_test: Optional[SelfTestOptions] = None

    def check(self, out_dir: str) -> None:
        """Every option problem that needs no model, before anything is read."""
        check_package(self.package)
        check_class_name(self.class_name)
        if self.weights not in ("auto", "embedded", "resource"):
            raise OptionError(f"invalid --weights {self.weights!r}: choose embedded, resource or auto")
        if self.weights_storage not in STORAGES:
            raise OptionError(f"invalid --weights-storage {self.weights_storage!r}: choose {', '.join(STORAGES)}")
        if self.runtime not in emit.RUNTIME_CHOICES:
            raise OptionError(f"invalid --runtime {self.runtime!r}: choose {' or '.join(emit.RUNTIME_CHOICES)}")
        if self.test is not None:
            self.test.check()
        if self.self_test is not None:
            self.self_test.check()
        if self.maven is not None:
            emit.check_maven(self.maven)
            if self.test is not None and self.test.out_dir is not None:
                raise OptionError("--test-out cannot be combined with --build maven (tests go to src/test/java)")
        if self.vector_out is not None:
            check_vector_out(self.vector_out, out_dir, self.maven is not None)


@dataclass(frozen=True)
class ConversionResult:
    model: Model
    files: tuple[str, ...]
    weights_mode: str
    warnings: tuple[str, ...]
    test_reference: str = ""    # who produced the golden vectors (with --with-test)
    weights_storage: str = "float32"


def convert_file(path: str, out_dir: str, options: ConvertOptions = ConvertOptions(),
                 progress: Optional[Callable[[str], None]] = None) -> ConversionResult:
    """Convert ``path`` into Java sources under ``out_dir``.  ``progress`` receives
    short status messages, only for large models (where reading and writing take
    noticeable time).  Nothing is written unless every check passes."""
    options.check(out_dir)
    model = build_model(read_model(path, options.architecture))
    warnings = validate(model)
    plan = plan_outputs(model, path, out_dir, options)
    report = progress if progress is not None and model.param_count() > PROGRESS_PARAMS else None
    if report:
        report(f"read {model.param_count():,} parameters; generating {plan.weights_mode} weights")
    written = emit.write_roots(plan.roots, _progress_steps(report))
    return ConversionResult(model, tuple(written), plan.weights_mode, warnings, plan.test_reference,
                            options.weights_storage)


@dataclass(frozen=True)
class OutputPlan:
    """The files of every output root, in memory (large weights as streams)."""

    roots: tuple[tuple[str, tuple["emit.GeneratedFile", ...]], ...]   # (directory, files)
    weights_mode: str
    test_reference: str = ""


def plan_outputs(model: Model, path: str, out_dir: str, options: ConvertOptions) -> OutputPlan:
    """Render every output (model class, weights, runtime, golden test, Maven
    project, vector kernels) and decide which root each goes to."""
    mode = emit.resolve_weights_mode(model, None if options.weights == "auto" else options.weights)
    labels = read_labels(options.labels, model) if options.labels is not None else ()
    eopts = emit.EmitOptions(options.package, options.class_name, mode, labels, options.weights_storage,
                             options.runtime, options.vector_out is not None or options.maven is not None)
    test = options.test
    test_files: list = []
    reference_name = ""
    if test is not None:
        from . import golden
        rec = golden.record(model, path, test.samples, test.inputs, test.reference)
        gview = golden.golden_view(model, rec, options.package, options.class_name, emit.runtime_package(),
                                   test.junit, storage_tolerance(options.weights_storage))
        test_files = emit.render_golden(gview, eopts, test.junit)
        reference_name = rec.reference
    if options.self_test is not None:
        from . import golden, selftest
        from .emit.parts import self_test_part
        sample = selftest.record(model, path, options.self_test)
        tolerance = golden.format_tolerance(storage_tolerance(options.weights_storage))
        eopts = replace(eopts, self_test=self_test_part(sample, tolerance, options.self_test.mode == "load",
                                                        golden.inputs_need_shapes(model)))
    files = emit.render(model, eopts)
    roots = []
    if options.maven is not None:
        files = emit.as_maven_project(model, files, test_files, eopts, options.maven,
                                      test.junit if test is not None else "none")
        test_files = []
    elif test is not None and (test.out_dir is None or os.path.abspath(test.out_dir) == os.path.abspath(out_dir)):
        files = files + test_files
        test_files = []
    roots.append((out_dir, tuple(files)))
    if test_files:
        roots.append((test.out_dir, tuple(test_files)))  # type: ignore[union-attr]
    if options.vector_out is not None:
        roots.append((options.vector_out, tuple(emit.vector_runtime_files())))
    return OutputPlan(tuple(roots), mode, reference_name)


def _progress_steps(report: Optional[Callable[[str], None]]) -> Optional[Callable[[int, int], None]]:
    """Byte counts from the writer as a message per quarter of the weights."""
    if report is None:
        return None
    step = {"next": 0.25}

    def on_write(done: int, total: int) -> None:
        if total and done / total >= step["next"]:
            report(f"writing weights: {done * 100 // total}% of {total / 2**20:.0f} MiB")
            step["next"] += 0.25
    return on_write


def read_labels(path: str, model: Model) -> tuple[str, ...]:
    """Class labels, one per line (UTF-8), for a model with one input and one output of shape (n,)."""
    try:
        with open(path, encoding="utf-8") as fh:
            labels = tuple(line.rstrip("\r\n") for line in fh)
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"--labels {path}: cannot read ({exc})") from None
    while labels and labels[-1] == "":
        labels = labels[:-1]
    if not labels or any(not label.strip() for label in labels):
        raise OptionError(f"--labels {path}: expected one non-empty label per line")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise OptionError("--labels needs a model with one input and one output")
    shape = model.tensor(model.outputs[0].tensor).shape
    if shape != (len(labels),):
        raise OptionError(f"--labels {path}: {len(labels)} labels, but the output has shape {list(shape)}")
    return labels


def check_vector_out(vector_out: str, out_dir: str, maven: bool) -> None:
    """``--vector-out`` must be a source root of its own: it holds JDK 17+ code, and the
    main output compiles with ``--release 8``."""
    if maven:
        raise OptionError("--vector-out cannot be combined with --build maven "
                          "(the Maven project has the vector kernels in src/main/java17)")
    vec, out = os.path.abspath(vector_out), os.path.abspath(out_dir)
    if vec == out or vec.startswith(out + os.sep):
        raise OptionError(f"--vector-out {vector_out}: must not be the --out directory or inside it "
                          "(the vector kernels need JDK 17; the main sources compile with --release 8)")


def load(path: str, architecture: Optional[str] = None) -> Model:
    """Read and build the IR of a model file (no validation against the emitter)."""
    return build_model(read_model(path, architecture))
