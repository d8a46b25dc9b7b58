"""What an op's view is made of: values, never Java text.

A view tells the templates what to place for one node: the runtime class of
its per-layer object and the constructor arguments, the output buffers and
their lengths, the method to call and its arguments.  Arguments are plain
Python values (``int``, ``float``, ``bool``, ``str``, ``None``) or the small
typed values below; the Jinja filters in :mod:`keras2java.emit.syntax` turn
each into Java syntax (literals, ``new int[] {...}``, runtime class
references).  So Python decides and templates render, and no Java syntax is
built in Python.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from math import prod
from typing import Any, Callable, Optional

from ..ir import Activation, Node, Shape, WeightTensor

# -- argument values ---------------------------------------------------------------------


@dataclass(frozen=True)
class Var:
    """A variable or field that keras2java itself named (``in0``, ``b3``, ``steps0``, ``ws``)."""

    name: str


@dataclass(frozen=True)
class Const:
    """A constant of a runtime class, e.g. ``Conv1D.SAME``."""

    cls: str
    name: str


@dataclass(frozen=True)
class Size:
    """A length: ``var * factor`` (``var`` a timestep count), or ``factor`` when ``var`` is None;
    ``more`` names further run-time extents multiplied in (a tensor with several variable axes)."""

    var: Optional[str]
    factor: int = 1
    more: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The run-time extents multiplied, in order."""
        return ((self.var,) if self.var is not None else ()) + self.more


@dataclass(frozen=True)
class Plus:
    """``var + n``."""

    var: str
    n: int


@dataclass(frozen=True)
class Times:
    """``var * (value)``: e.g. a length or row count times the batch size ``nb``."""

    var: str
    value: Any


@dataclass(frozen=True)
class Call:
    """A static call of a runtime class, e.g. ``Conv1D.outSteps(...)``."""

    cls: str
    method: str
    args: tuple


@dataclass(frozen=True)
class New:
    """``new <cls>(args)`` of a runtime class."""

    cls: str
    args: tuple


@dataclass(frozen=True)
class Ints:
    """An ``int[]`` value."""

    values: tuple[int, ...]


@dataclass(frozen=True)
class Strings:
    """A ``String[]`` value (e.g. chunks of a packed vocabulary)."""

    values: tuple[str, ...]


@dataclass(frozen=True)
class Long:
    """A ``long`` literal."""

    value: int


@dataclass(frozen=True)
class Buffers:
    """A ``float[][]`` of buffers, e.g. the inputs of a merge."""

    vars: tuple[str, ...]


@dataclass(frozen=True)
class Offset:
    """A weight's offset in the model's weight array, as a named constant of the
    generated ``Net`` (``L0_KERNEL``) declared with ``value``."""

    name: str
    value: int


@dataclass(frozen=True)
class Sum:
    """``a + b + ...`` of values (``0`` when empty)."""

    terms: tuple


@dataclass(frozen=True)
class Act:
    """An activation function object (runtime ``Activation``)."""

    activation: Activation


# -- tensors as the generated code holds them ---------------------------------------------


@dataclass(frozen=True)
class TensorInfo:
    """How a tensor lives in Java: its buffer variable and its shape; ``steps``
    names the variable holding the number of timesteps when it is variable, and
    ``extents`` the variable holding each variable axis's size (None for a fixed
    axis; when not given, only a variable first axis has one: ``steps``)."""

    var: str
    steps: Optional[str]
    shape: Shape
    extents: tuple[Optional[str], ...] = ()

    def __post_init__(self) -> None:
        if not self.extents:
            object.__setattr__(self, "extents", tuple(
                self.steps if (a == 0 and d is None) else None for a, d in enumerate(self.shape)))

    def size(self, start: int = 0, stop: Optional[int] = None) -> Size:
        """The number of floats spanned by axes ``start .. stop`` (a slice of the axes)."""
        axes = range(len(self.shape))[start:stop]
        names = tuple(self.extents[a] for a in axes if self.shape[a] is None)
        if any(n is None for n in names):  # validation keeps every variable axis tied to an extent
            raise RuntimeError("internal error: a variable axis without a run-time extent")
        factor = prod(self.shape[a] for a in axes if self.shape[a] is not None)  # type: ignore[misc]
        return Size(names[0] if names else None, factor, tuple(names[1:]))  # type: ignore[arg-type]

    def dim(self, axis: int) -> Any:
        """The size of one axis: its run-time extent's variable, or the fixed size."""
        d = self.shape[axis]
        if d is not None:
            return d
        name = self.extents[axis]
        if name is None:
            raise RuntimeError("internal error: a variable axis without a run-time extent")
        return Var(name)

    def length(self) -> Size:
        return self.size()

    def rows(self) -> Size:
        """Rows when the last axis is the row length."""
        return self.size(0, -1)

    def step_count(self) -> Any:
        """The number of timesteps: its variable, or the fixed size."""
        return Var(self.steps) if self.shape[0] is None else self.shape[0]

    def variable_axes(self) -> tuple[int, ...]:
        return tuple(a for a, d in enumerate(self.shape) if d is None)


def dim_size(shape: Shape, steps: Optional[str]) -> Size:
    if shape and shape[0] is None:
        if steps is None:  # validation keeps variable time axes tied to an input's step count
            raise RuntimeError("internal error: a variable time axis without a step count")
        return Size(steps, prod(d for d in shape[1:]))  # type: ignore[misc]
    return Size(None, prod(shape))  # type: ignore[arg-type]


# -- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Out:
    """An output buffer sized before the call."""

    var: str
    length: Size


@dataclass(frozen=True)
class CallView:
    """One runtime call per node (``templates/ops/call.j2``): an optional
    per-layer object of class ``cls`` built from the weights with ``ctor``
    (after the weight array), then per call: an optional output-length
    variable, the output buffers, an optional workspace, and
    ``<static or n.field>.method(args)``."""

    field: str
    comment: Label
    outs: tuple[Out, ...]
    method: str
    args: tuple
    static: str = ""             # runtime class of a static method; "" calls the per-layer object
    cls: str = ""                # runtime class of the per-layer object, if any
    init: Any = None             # its value (a :class:`New` or an :class:`Act`)
    steps_var: str = ""          # output timesteps variable declared before the call
    steps_value: Any = None      # its value
    #: further run-time extents (of the outputs' variable axes other than ``steps_var``) declared
    #: before the call: ``(variable, value)`` pairs
    dims: tuple[tuple[str, Any], ...] = ()
    #: run-time extents of the inputs that must agree: ``(variable, variable, axis)``
    same_extents: tuple[tuple[str, str, int], ...] = ()
    same_steps: tuple[str, ...] = ()   # timestep variables that must agree at run time
    copy_from: str = ""          # copy this buffer into outs[0] first (in-place kernels)
    #: maps the call may make inside itself (the runtime allocates them), by the output buffer
    #: they stand beside: not allocated here, but counted where a batch is capped (``parts.batch_grow``)
    inner: tuple[Out, ...] = ()
    #: arguments of the call's workspace-size method (``n.field.workspaceSize(...)``, or for a
    #: static call ``<static>.<method>WorkspaceSize(...)``): ``ws`` is grown to it first; None: no workspace
    workspace: Optional[tuple] = None
    #: or the workspace size itself (a value), when no size method names it
    workspace_size: Any = None
    #: set by the emitter (:func:`keras2java.emit.scan.hoisted`): ``int[]`` arguments as
    #: ``(Net field, Ints)`` built once with the weights, ``float[][]`` arguments as
    #: ``(instance field, buffer names)`` refilled per call (buffers may grow between calls),
    #: and the instance ``int[]`` field ``same_steps`` is copied into for the check; so a
    #: call allocates nothing
    consts: tuple[tuple[str, Ints], ...] = ()
    arrays: tuple[tuple[str, tuple[str, ...]], ...] = ()
    steps_array: str = ""
    template: str = "ops/call.j2"


@dataclass(frozen=True)
class StepsView:
    """An alias node (its output is its input's buffer) whose output has its own number of
    timesteps (``templates/ops/steps.j2``): declares ``steps_var = steps_value`` and calls
    nothing; the same on a batch (timestep counts are per sample there too)."""

    field: str
    comment: Label
    steps_var: str
    steps_value: Any
    template: str = "ops/steps.j2"
    dims: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class CellView:
    """One recurrent layer: ``new Recurrent(new <cell>(data, args, acts), flags)``."""

    cell: str
    args: tuple
    acts: tuple[Act, ...]
    flags: tuple[bool, ...]      # goBackwards, returnSequences, zeroOutputForMask


@dataclass(frozen=True)
class StateCopy:
    """Copies initial state ``index`` in from a tensor, or a final state out to one."""

    half: str        # "" for a single recurrent layer, "forward" or "backward" for a Bidirectional's half
    index: int       # 0 = h, 1 = c
    var: str         # the tensor's buffer
    length: int      # units


@dataclass(frozen=True)
class RecurrentView:
    """A recurrent node (``templates/ops/recurrent.j2``), alone or Bidirectional."""

    field: str
    comment: Label
    cells: tuple[CellView, ...]
    merge: str                   # Bidirectional merge constant, "" for a single layer
    outs: tuple[Out, ...]
    forward_args: tuple
    steps: Any
    state: str                   # the node's state array, e.g. "st.s3"
    keep_states: bool            # stateful=True: keeps its states across predict calls
    init_states: tuple[StateCopy, ...]
    out_states: tuple[StateCopy, ...]
    template: str = "ops/recurrent.j2"


@dataclass(frozen=True)
class RecurrentBatchView:
    """A recurrent node on a batch (``templates/ops/recurrent.j2``, macro ``batch``):
    ``n.<field>.forwardBatch(args)`` after sizing the outputs and the workspace
    (``n.<field>.batchWorkspaceSize(nb, steps)``)."""

    field: str
    comment: Label
    outs: tuple[Out, ...]
    args: tuple
    steps: Any
    template: str = "ops/recurrent.j2"


#: The variable holding the number of samples in a batch, in the generated batch path.
BATCH = "nb"


def batched_call(view: CallView, rows_arg: int) -> Optional[CallView]:
    """A :class:`CallView` whose call treats its input as rows (``args[rows_arg]`` rows,
    each computed on its own) as the same call on a batch: ``nb`` times the rows and
    output buffers ``nb`` times as long (the samples one after the other).  None for a
    call that declares an output length or uses a workspace sized for one sample."""
    if view.steps_var or view.dims or view.workspace is not None or view.workspace_size is not None:
        return None
    return batched_images(view, rows_arg)


def batched_images(view: CallView, images_arg: Optional[int], method: str = "",
                   workspace: Optional[tuple] = None) -> CallView:
    """A :class:`CallView` of an op on a row of independent images or sequences (its
    ``args[images_arg]`` counts them, if any; a declared output length is per image and the
    workspace does not depend on the count) as the same call on a batch: ``nb`` times the
    images, output buffers ``nb`` times as long.  ``method`` and ``workspace`` replace the
    call's method and workspace arguments (a runtime batch method sizing its own)."""
    args = tuple(Times(BATCH, a) if i == images_arg else a for i, a in enumerate(view.args))
    return replace(view, outs=tuple(Out(o.var, Times(BATCH, o.length)) for o in view.outs), args=args,
                   inner=tuple(Out(o.var, Times(BATCH, o.length)) for o in view.inner),
                   method=method or view.method, workspace=view.workspace if workspace is None else workspace)


# -- what an op's view method is given ------------------------------------------------------


@dataclass(frozen=True)
class ViewContext:
    """A node's place in the generated code: its field (``L<k>``), the Java
    form of its input and output tensors, and the offsets of weights in the
    model's weight array."""

    field: str
    ins: tuple[TensorInfo, ...]
    outs: tuple[TensorInfo, ...]
    offsets: Callable[[WeightTensor], int]
    #: the offset names given so far, by weight (a weight asked for twice keeps its name)
    named: dict = field(default_factory=dict, compare=False, repr=False)

    def offset(self, w: Optional[WeightTensor]) -> Any:
        """A weight's offset in the weight array (an :class:`Offset` named after the
        node's field and the weight's role, e.g. ``L0_KERNEL``), -1 for an absent weight."""
        if w is None:
            return -1
        if id(w) not in self.named:
            base = f"{self.field.upper()}_{offset_role(w.role)}"
            taken = {o.name for o in self.named.values()}
            name = base if base not in taken else next(f"{base}_{i}" for i in range(2, 10**6)
                                                      if f"{base}_{i}" not in taken)
            self.named[id(w)] = Offset(name, self.offsets(w))
        return self.named[id(w)]

    @property
    def state(self) -> str:
        """The node's recurrent state array in the generated ``State``."""
        return f"s{self.field[1:]}"

    def out_bufs(self) -> tuple[Out, ...]:
        return tuple(Out(o.var, o.length()) for o in self.outs)


def offset_role(role: str) -> str:
    """A weight role as the tail of a Java constant name: ``"recurrent_kernel"`` ->
    ``RECURRENT_KERNEL``, ``"scale = gamma*rsqrt(var+eps)"`` -> ``SCALE`` (up to the first
    ``(`` or ``=``; only ``[A-Z0-9_]``, at most 32 characters; ``W`` when nothing is left)."""
    words = re.findall(r"[A-Za-z0-9]+", re.split(r"[(=]", role, maxsplit=1)[0])
    return "_".join(words).upper()[:32].strip("_") or "W"


@dataclass(frozen=True)
class Label:
    """A node's Keras layer name and class, for comments and messages (raw: the
    templates' filter keeps only safe characters)."""

    name: str
    cls: str


def comment(node: Node) -> Label:
    return Label(node.layer_name, node.class_name)


def same_steps(ins: tuple[TensorInfo, ...]) -> tuple[str, ...]:
    """The distinct timestep variables of the inputs, when more than one (they must agree)."""
    distinct = tuple(dict.fromkeys(i.steps for i in ins if i.steps is not None))
    return distinct if len(distinct) > 1 else ()


def same_extents(ins: tuple[TensorInfo, ...], skip: Optional[int] = None) -> tuple[tuple[str, str, int], ...]:
    """The run-time extents of the inputs' variable axes other than the first (and ``skip``)
    that must agree with the first input's at run time: ``(first, other, axis)``, each pair once."""
    out = []
    for a in range(1, len(ins[0].shape)):
        if a == skip or ins[0].shape[a] is not None:
            continue
        for i in ins[1:]:
            if len(i.shape) == len(ins[0].shape) and i.shape[a] is None and i.extents[a] != ins[0].extents[a]:
                pair = (ins[0].extents[a], i.extents[a], a)
                if pair not in out:
                    out.append(pair)
    return tuple(out)  # type: ignore[arg-type]
