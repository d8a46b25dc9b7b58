"""The project's own error types.

Every problem caused by user input (a model file, a CLI argument, an option of
the Python API) is reported as a :class:`Keras2JavaError`.  The CLI prints
``str(error)`` on one line of stderr and exits with status 2.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


class Keras2JavaError(Exception):
    """Base class of every error keras2java raises on bad input."""


class ModelFileError(Keras2JavaError):
    """The model file cannot be read: missing, not a Keras file, corrupt."""


class OptionError(Keras2JavaError):
    """A CLI argument or API option is invalid (package, class name, ...)."""


class PluginError(OptionError):
    """A plugin (``--plugin``, ``plugins=``, or a ``keras2java.layers`` entry
    point) cannot be loaded, or registers a Keras class that is already registered."""


@dataclass(frozen=True)
class Problem:
    """One reason a model cannot be converted, tied to a layer when possible."""

    layer: str | None
    class_name: str | None
    reason: str

    def describe(self) -> str:
        if self.layer is None:
            return self.reason
        return f"layer {self.layer!r} ({self.class_name}): {self.reason}"


class UnsupportedModelError(Keras2JavaError):
    """The model was read, but one or more layers cannot be converted.

    ``problems`` lists every problem found, not just the first one.
    """

    def __init__(self, problems: Sequence[Problem], hint: str = "") -> None:
        self.problems = tuple(problems)
        self.hint = hint
        parts = [p.describe() for p in self.problems]
        msg = f"cannot convert model: {len(parts)} problem(s): " + "; ".join(parts)
        if hint:
            msg += f". {hint}"
        super().__init__(msg)


class ProblemCollector:
    """Collects problems during IR building so that all are reported at once."""

    def __init__(self) -> None:
        self._problems: list[Problem] = []

    def add(self, layer: str | None, class_name: str | None, reason: str) -> None:
        self._problems.append(Problem(layer, class_name, reason))

    def extend(self, problems: Iterable[Problem]) -> None:
        self._problems.extend(problems)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(self._problems)

    def raise_if_any(self, hint: str = "") -> None:
        if self._problems:
            raise UnsupportedModelError(self._problems, hint)
