"""The whole conversion: read, build the IR, validate, emit."""
from __future__ import annotations

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


def check_options(package: str, class_name: str) -> emit.EmitOptions:
    check_package(package)
    check_class_name(class_name, frozenset(emit.runtime_classes()))
    return emit.EmitOptions(package, class_name, "auto")


def load(path: str, architecture: Optional[str] = None) -> Model:
    """Read and build the IR of a model file (no validation against the emitter)."""
    return build_model(read_model(path, architecture))


#: Models above this many parameters report progress (reading and writing take seconds).
PROGRESS_PARAMS = 5_000_000


def convert_file(path: str, out_dir: str, package: str, class_name: str,
                 weights: Optional[str] = None, architecture: Optional[str] = None,
                 progress: Optional[Callable[[str], None]] = None) -> ConversionResult:
    """Convert ``path``.  ``progress`` receives short status messages, only for
    large models (where reading and writing take noticeable time)."""
    opts = check_options(package, class_name)
    model = build_model(read_model(path, architecture))
    warnings = validate(model)
    mode = emit.resolve_weights_mode(model, weights)
    report = progress if progress is not None and model.param_count() > PROGRESS_PARAMS else None
    if report:
        report(f"read {model.param_count():,} parameters; generating {mode} weights")
    files = emit.render(model, emit.EmitOptions(opts.package, opts.class_name, mode))
    step = {"next": 0.25}

    def on_write(done: int, total: int) -> None:
        if report and total and done / total >= step["next"]:
            report(f"writing weights: {done * 100 // total}% of {total / 2**20:.0f} MiB")
            step["next"] += 0.25

    written = emit.write_atomically(files, out_dir, on_write)
    return ConversionResult(model, tuple(written), mode, warnings)
