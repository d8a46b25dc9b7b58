"""Java syntax, as Jinja filters (the only place generated Java text is made
from values).

Views hold values (:mod:`keras2java.ops.view`); templates place them through
these filters:

- ``j``: any view value as a Java expression (literals, lengths, calls,
  ``new int[] {...}``, activations, runtime constants);
  named weight offsets (``L0_KERNEL``), sums and products without noise (no ``0 +``,
  no ``* (1)``);
- ``jargs``: a tuple of values as a comma-separated argument list;
- ``rt``: a runtime class name, fully qualified where its simple name would
  clash with a generated class (so ``--class Dense`` compiles);
- ``jstr``: a Java string literal for any text, every risky character escaped;
- ``jfloat``: an exact float32 literal;
- ``text``: model-supplied text reduced to ``[A-Za-z0-9_]`` for comments and Javadoc;
- ``label``: a node's layer name and class the same way, ``name (Class)``;
- ``shape_init`` / ``shape_text``: a shape as an ``int[]`` initializer, and for humans.

Nothing read from a model file reaches Java source except through ``jstr`` or
``text``.
"""
from __future__ import annotations

from typing import Any, Iterable

import jinja2

from ..ir import Activation, shape_text
from ..ops.view import Act, Buffers, Call, Const, Ints, Label, Long, New, Offset, Plus, Size, Strings, Sum, Times, Var
from .naming import float_literal, java_string, sanitize

#: Activation kinds -> constants of the runtime class ``Activation``.
ACT_CONSTANTS = {
    "linear": "LINEAR", "relu": "RELU", "sigmoid": "SIGMOID", "tanh": "TANH",
    "hard_sigmoid_k2": "HARD_SIGMOID_K2", "hard_sigmoid_k3": "HARD_SIGMOID_K3", "elu": "ELU",
    "selu": "SELU", "softplus": "SOFTPLUS", "softsign": "SOFTSIGN", "exponential": "EXPONENTIAL",
    "swish": "SWISH", "gelu": "GELU", "gelu_tanh": "GELU_TANH", "hard_silu_k3": "HARD_SILU_K3",
    "mish": "MISH", "softmax": "SOFTMAX", "log_softmax": "LOG_SOFTMAX", "celu": "CELU",
    "log_sigmoid": "LOG_SIGMOID", "hard_tanh": "HARD_TANH", "hard_shrink": "HARD_SHRINK",
    "soft_shrink": "SOFT_SHRINK", "tanh_shrink": "TANH_SHRINK", "threshold": "THRESHOLD",
    "squareplus": "SQUAREPLUS", "sparse_plus": "SPARSE_PLUS",
}
#: Activation kinds whose parameters ``Activation.of(kind, alpha, threshold, value)`` takes.
ACT_WITH_PARAMS = ("celu", "hard_shrink", "soft_shrink", "threshold", "squareplus")


class JavaSyntax:
    """The filters for one generated package: ``qualified`` are the runtime
    classes whose simple names clash with generated classes."""

    def __init__(self, runtime_package: str, qualified: Iterable[str] = ()) -> None:
        self.runtime_package = runtime_package
        self.qualified = frozenset(qualified)

    def rt(self, cls: str) -> str:
        return f"{self.runtime_package}.{cls}" if cls in self.qualified else cls

    def activation(self, a: Activation) -> str:
        act = self.rt("Activation")
        if a.kind == "relu" and (a.alpha or a.max_value is not None or a.threshold):
            mx = float("inf") if a.max_value is None else a.max_value
            return f"{act}.relu({float_literal(a.alpha)}, {float_literal(mx)}, {float_literal(a.threshold)})"
        if a.kind == "elu" and a.alpha != 1.0:
            return f"{act}.elu({float_literal(a.alpha)})"
        if a.kind in ACT_WITH_PARAMS:
            return (f"{act}.of({act}.{ACT_CONSTANTS[a.kind]}, {float_literal(a.alpha)}, "
                    f"{float_literal(a.threshold)}, {float_literal(a.value)})")
        return f"{act}.of({act}.{ACT_CONSTANTS[a.kind]})"

    def j(self, v: Any) -> str:
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return float_literal(v)
        if isinstance(v, str):
            return java_string(v)
        if isinstance(v, Var):
            return v.name
        if isinstance(v, Size):
            if not v.names:
                return str(v.factor)
            return " * ".join(v.names + ((str(v.factor),) if v.factor != 1 else ()))
        if isinstance(v, Plus):
            return v.var if v.n == 0 else f"{v.var} + {v.n}" if v.n > 0 else f"{v.var} - {-v.n}"
        if isinstance(v, Times):
            return self.times(v)
        if isinstance(v, Offset):
            return v.name
        if isinstance(v, Sum):
            return " + ".join(self.j(t) for t in v.terms) or "0"
        if isinstance(v, Const):
            return f"{self.rt(v.cls)}.{v.name}"
        if isinstance(v, Call):
            return f"{self.rt(v.cls)}.{v.method}({self.jargs(v.args)})"
        if isinstance(v, New):
            return f"new {self.rt(v.cls)}({self.jargs(v.args)})"
        if isinstance(v, Ints):
            return "new int[] {" + ", ".join(str(int(x)) for x in v.values) + "}"
        if isinstance(v, Strings):
            return "new String[] {" + ", ".join(java_string(s) for s in v.values) + "}"
        if isinstance(v, Long):
            return f"{int(v.value)}L"
        if isinstance(v, Buffers):
            return "new float[][] {" + ", ".join(v.vars) + "}"
        if isinstance(v, Act):
            return self.activation(v.activation)
        raise TypeError(f"internal error: no Java form for {type(v).__name__}")

    def times(self, v: Times) -> str:
        """``nb * 15``, ``nb * steps0 * 15``, ``nb`` (times 1); parentheses only around a sum."""
        value = v.value
        if isinstance(value, Size) and not value.names:
            value = value.factor
        if isinstance(value, int) and not isinstance(value, bool):
            return v.var if value == 1 else f"{v.var} * {value}"
        if isinstance(value, (Size, Var)):   # a product: int multiplication is associative, also on overflow
            return f"{v.var} * {self.j(value)}"
        return f"{v.var} * ({self.j(value)})"

    def jargs(self, values) -> str:
        return ", ".join(self.j(v) for v in values)

    def install(self, env: jinja2.Environment) -> jinja2.Environment:
        env.filters.update(
            j=self.j, jargs=self.jargs, rt=self.rt, jstr=java_string, jfloat=float_literal, text=sanitize,
            shape_init=shape_init, shape_text=shape_text, label=label)
        env.tests["imported"] = lambda cls: cls not in self.qualified
        return env


def shape_init(shape) -> str:
    """``{-1, 11}``: an ``int[]`` initializer, -1 for a variable axis."""
    return "{" + ", ".join("-1" if d is None else str(d) for d in shape) + "}"


def label(v: Label) -> str:
    """``name (Class)`` with only safe characters (a class may be ``"Embedding mask"``)."""
    return f"{sanitize(v.name)} ({' '.join(sanitize(w) for w in v.cls.split(' '))})"
