"""The whole conversion: read, build the IR, validate, emit."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Optional

from . import emit
from .builder import build_model
from .emit.naming import check_class_name, check_package
from .ir import Model
from .reader import read_model
from .validate import validate


@dataclass(frozen=True)
class ConversionResult:
    model: Model
    files: tuple[str, ...]
    weights_mode: str
    warnings: tuple[str, ...]
    test_reference: str = ""    # who produced the golden vectors (with --with-test)


def check_options(package: str, class_name: str) -> emit.EmitOptions:
    check_package(package)
    check_class_name(class_name)
    return emit.EmitOptions(package, class_name, "auto")


def read_labels(path: str, model: Model) -> tuple[str, ...]:
    """Class labels, one per line (UTF-8), for a model with one input and one output of shape (n,)."""
    from .errors import OptionError
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
    from .errors import OptionError
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


#: Models above this many parameters report progress (reading and writing take seconds).
PROGRESS_PARAMS = 5_000_000


@dataclass(frozen=True)
class TestOptions:
    """``--with-test``: golden vectors and a JUnit test for the generated class."""

    junit: str = "5"            # "5", "4" or "none" (only the dependency-free <Class>Golden)
    samples: int = 5
    out_dir: Optional[str] = None   # where the tests go (default: the main output directory)
    reference: str = "auto"     # "auto", "keras" or "numpy"

    def check(self) -> None:
        from .errors import OptionError
        if self.junit not in ("5", "4", "none"):
            raise OptionError(f"--junit {self.junit!r}: expected 5, 4 or none")
        if not 1 <= self.samples <= 1000:
            raise OptionError(f"--test-samples {self.samples}: expected 1 to 1000")


def convert_file(path: str, out_dir: str, package: str, class_name: str,
                 weights: Optional[str] = None, architecture: Optional[str] = None,
                 progress: Optional[Callable[[str], None]] = None,
                 test: Optional[TestOptions] = None, test_inputs=None,
                 maven: Optional["emit.MavenOptions"] = None,
                 labels: Optional[str] = None, vector_out: Optional[str] = None) -> ConversionResult:
    """Convert ``path``.  ``progress`` receives short status messages, only for
    large models (where reading and writing take noticeable time).  With
    ``test``, also emit golden vectors (``test_inputs``: samples to use instead
    of random ones) and a JUnit test.  ``vector_out``: a separate source root
    for the optional JDK 17+ Vector API kernels."""
    opts = check_options(package, class_name)
    if test is not None:
        test.check()
    if maven is not None:
        emit.check_maven(maven)
        if test is not None and test.out_dir is not None:
            from .errors import OptionError
            raise OptionError("--test-out cannot be combined with --build maven (tests go to src/test/java)")
    if vector_out is not None:
        check_vector_out(vector_out, out_dir, maven is not None)
    model = build_model(read_model(path, architecture))
    warnings = validate(model)
    mode = emit.resolve_weights_mode(model, weights)
    label_list = read_labels(labels, model) if labels is not None else ()
    test_files: list = []
    reference_name = ""
    if test is not None:
        from . import golden
        rec = golden.record(model, path, test.samples, test_inputs, test.reference)
        gview = golden.golden_view(model, rec, opts.package, opts.class_name, emit.runtime_package(), test.junit)
        test_files = emit.render_golden(gview, emit.EmitOptions(opts.package, opts.class_name, mode), test.junit)
        reference_name = rec.reference
    report = progress if progress is not None and model.param_count() > PROGRESS_PARAMS else None
    if report:
        report(f"read {model.param_count():,} parameters; generating {mode} weights")
    files = emit.render(model, emit.EmitOptions(opts.package, opts.class_name, mode, label_list))
    step = {"next": 0.25}

    def on_write(done: int, total: int) -> None:
        if report and total and done / total >= step["next"]:
            report(f"writing weights: {done * 100 // total}% of {total / 2**20:.0f} MiB")
            step["next"] += 0.25

    if maven is not None:
        files = emit.as_maven_project(model, files, test_files, emit.EmitOptions(opts.package, opts.class_name, mode),
                                      maven, test.junit if test is not None else "none")
        test_files = []
    elif test is not None and (test.out_dir is None or os.path.abspath(test.out_dir) == os.path.abspath(out_dir)):
        files = files + test_files
        test_files = []
    written = emit.write_atomically(files, out_dir, on_write)
    if test_files:
        written += emit.write_atomically(test_files, test.out_dir)  # type: ignore[union-attr]
    if vector_out is not None:
        written += emit.write_atomically(emit.vector_runtime_files(), vector_out)
    return ConversionResult(model, tuple(written), mode, warnings, reference_name)
