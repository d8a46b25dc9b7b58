"""TimeDistributed: a per-step layer (or nested model) applied to every timestep.

Mostly it adds no op of its own: a layer that acts on the last axis only (an
op with the ``time_distributable`` trait), an op that treats leading axes as
a row of independent frames (``per_frame``: the image ops of ``conv2d``) or
one that leaves the data unchanged (``alias``: Flatten, Reshape) gives the
same result on the whole ``(timesteps, ...)`` tensor.

Anything else (a layer or sub-network with its own time axis per step: an
LSTM over each word's characters) becomes :class:`PerStepModelOp`, the
wrapped graph run once per outer step (``time_distributed_models``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from typing import Any, ClassVar, Mapping, Optional

import numpy as np

from ..ir import Model, format_shape
from ..reader.keras3 import to_snake_case
from ..reader.raw import RawLayer, freeze
from .base import ConversionProblem, MaskRule, Op, converter, layer_spec, op_classes, register_op
from .context import Composite, Converted, LayerContext, Step
from .norm import NormalizeOp, ScaleShiftOp
from .recurrent import _inner_layer
from .shape import PermuteOp
from .time_distributed_models import thaw, convert_per_step_model, convert_time_distributed_model
from .view import BATCH, Call, Label, Out, Size, TensorInfo, Times, Var, ViewContext, comment


def _per_frame(op: Op, frames_fixed: bool) -> Optional[Op]:
    """The op applied to a row of frames (one more leading axis), or None if it cannot be."""
    if op.time_distributable or op.per_frame or op.alias or isinstance(op, NormalizeOp):
        return op
    if isinstance(op, ScaleShiftOp):
        return replace(op, axis=op.axis + 1)
    if isinstance(op, PermuteOp) and frames_fixed:
        return PermuteOp((0,) + tuple(d + 1 for d in op.dims))
    return None


def _supported() -> str:
    names = sorted(c.kind for c in op_classes() if c.time_distributable or c.per_frame)
    return f"supported: per-step and per-frame layers ({', '.join(names)} ops), Flatten, Reshape, normalization"


def _lift(converted, cls: str, shape, frames_fixed: bool):
    """A converted inner layer on frames -> (steps on the whole tensor, its output shape per frame)."""
    if isinstance(converted, Converted):
        parts = [(converted.op, (0,), converted.output_shapes)]
        outputs = (1,)
    else:
        parts = [(st.op, st.inputs, st.output_shapes) for st in converted.steps]
        outputs = converted.outputs
    if len(outputs) != 1 or any(len(o) != 1 for _, _, o in parts):
        raise ConversionProblem(f"TimeDistributed({cls}) with several outputs is not supported")
    lifted = []
    for op, inputs, outs in parts:
        if getattr(op, "mask_zero", False):
            raise ConversionProblem(f"TimeDistributed({cls}(mask_zero=True)) is not supported")
        new = _per_frame(op, frames_fixed)
        if new is None:
            raise ConversionProblem(f"TimeDistributed({cls}) is not supported; {_supported()}")
        lifted.append((new, inputs, outs))
    return lifted, outputs[0]


def _nested_layers(inner_cfg: Mapping, outer: RawLayer) -> list:
    """The layers of a Sequential model wrapped by TimeDistributed, each with its stored weights."""
    cfg = inner_cfg.get("config") or {}
    layer_dicts = [ld for ld in (cfg.get("layers") or []) if isinstance(ld, Mapping)]
    weights = list(outer.weights)
    keras3 = any("/vars/" in w.name for w in weights)
    used: dict = {}
    out = []
    for ld in layer_dicts:
        cls = ld.get("class_name")
        lcfg = ld.get("config") or {}
        if not isinstance(cls, str) or cls == "InputLayer":
            continue
        name = lcfg.get("name") if isinstance(lcfg.get("name"), str) else cls
        if keras3:   # layers/<snake_case(class)>[_n]/vars/i, numbered per class in layer order
            g = to_snake_case(cls)
            used[g] = used.get(g, -1) + 1
            g = g if used[g] == 0 else f"{g}_{used[g]}"
            mine = sorted((w for w in weights if f"/layers/{g}/vars/" in "/" + w.name),
                          key=lambda w: int(w.name.rsplit("/", 1)[1]) if w.name.rsplit("/", 1)[1].isdigit() else 0)
        else:        # tf-keras: <layer name>/<weight>:0
            mine = [w for w in weights if w.name.startswith(name + "/") or f"/{name}/" in w.name]
        out.append(RawLayer(name, cls, freeze(dict(lcfg)), tuple(mine), ()))
    return out


@dataclass(frozen=True)
class LoopView:
    """``TimeDistributed`` around a sub-graph (``templates/ops/loop.j2``): per outer step,
    frame ``t`` of ``x`` into ``frame_in``, the sub-graph's states reset, its nodes' views,
    then ``frame_out`` into row ``t`` of ``out``."""

    field: str
    comment: Label
    x: str
    out: str
    out_length: Any
    steps: Any
    index: str              # the loop variable
    frame_in: str           # buffer of one input frame
    in_size: int
    frame_out: str          # the sub-graph's output buffer
    out_size: int
    ops: tuple              # the inner nodes' views
    reset: tuple[tuple[str, str], ...]   # (layer field, state var) of each inner recurrent node
    #: picked up by the model view: the inner buffers and recurrent states it must declare
    buffers: tuple[str, ...] = ()
    states: tuple[tuple[str, str], ...] = ()
    template: str = "ops/loop.j2"


@register_op
@dataclass(frozen=True)
class PerStepModelOp(Op):
    """A sub-model run on every timestep of its input: ``(T, *frame) -> (T, *out)``."""

    sub: Model
    kind: ClassVar[str] = "time_distributed_model"
    runtime: ClassVar[tuple[str, ...]] = ("Check",)

    def weights(self):
        return self.sub.unique_weights()

    def describe_weights(self):
        return [f"{line} [{node.layer_name}]" for node in self.sub.nodes for line in node.op.describe_weights()]

    def reference_problem(self):
        for node in self.sub.nodes:
            why = node.op.reference_problem()
            if why:
                return f"wrapped model layer {node.layer_name!r}: {why}"
        return None

    def evaluate(self, inputs):
        sub = self.sub
        rows = []
        for frame in np.asarray(inputs[0], np.float32):
            values = {sub.inputs[0].tensor: frame.reshape(sub.tensor(sub.inputs[0].tensor).shape)}
            for node in sub.nodes:
                outs = node.op.evaluate([values[t] for t in node.inputs])
                for t, v in zip(node.outputs, outs):
                    values[t] = np.asarray(v, np.float32).reshape(sub.tensor(t).shape)
            rows.append(values[sub.outputs[0].tensor])
        out = sub.tensor(sub.outputs[0].tensor).shape
        return [np.asarray(rows, np.float32).reshape((len(rows),) + tuple(out))]

    def view(self, node, ctx: ViewContext) -> LoopView:
        sub = self.sub
        k = ctx.field[1:]
        x, y = ctx.ins[0], ctx.outs[0]
        t_in = sub.inputs[0].tensor
        frame_in = f"b{k}_x"
        infos = {t_in: TensorInfo(frame_in, None, sub.tensor(t_in).shape)}
        buffers = [frame_in]
        states: list[tuple[str, str]] = []
        reset: list[tuple[str, str]] = []
        views = []
        for j, inner in enumerate(sub.nodes):
            ins = tuple(infos[t] for t in inner.inputs)
            if inner.op.alias:
                for t_a, t_b in zip(inner.inputs, inner.outputs):
                    infos[t_b] = TensorInfo(infos[t_a].var, None, sub.tensor(t_b).shape)
                continue
            outs = []
            for t in inner.outputs:
                var = f"b{k}_{t[1:]}"
                buffers.append(var)
                infos[t] = TensorInfo(var, None, sub.tensor(t).shape)
                outs.append(infos[t])
            ictx = ViewContext(f"L{k}_{j}", ins, tuple(outs), ctx.offsets)
            v = inner.op.view(inner, ictx)
            views.append(v)
            if inner.op.has_state:
                states.append((ictx.state, ictx.field))
                reset.append((ictx.field, ictx.state))
            buffers.extend(getattr(v, "buffers", ()))
            states.extend(getattr(v, "states", ()))
        t_out = sub.outputs[0].tensor
        return LoopView(
            field=ctx.field, comment=comment(node), x=x.var, out=y.var, out_length=y.length(),
            steps=x.step_count(), index=f"i{k}", frame_in=frame_in,
            in_size=prod(sub.tensor(t_in).shape), frame_out=infos[t_out].var,   # type: ignore[arg-type]
            out_size=prod(sub.tensor(t_out).shape), ops=tuple(views), reset=tuple(reset),  # type: ignore[arg-type]
            buffers=tuple(buffers), states=tuple(states))


@dataclass(frozen=True)
class FramesView:
    """A chain of per-frame ops run a few frames at a time (``templates/ops/frames.j2``):
    ``Frames.perPass`` frames per pass (as many as keep the chain's largest feature map
    within 1 MiB, or all of them when intra-op threads share out each op's work), copied from ``x`` into ``frame_in``, the chain's views on them, then
    ``frame_out`` copied into ``out``."""

    field: str
    comment: Label
    x: str
    out: str
    out_length: Any
    frames: Any             # frames in all (a variable or a size)
    index: str              # the loop variable
    count: str              # frames in this pass
    per_pass: str           # frames per pass
    per_pass_value: Call    # Frames.perPass(frames, map_floats)
    map_floats: int         # floats of the chain's largest map (an op's input, output or inner map) per frame
    frame_in: str
    in_size: int            # floats per input frame
    frame_out: str
    out_size: int           # floats per output frame
    ops: tuple              # the chain's views, on ``count`` frames
    #: channel-plane links (:func:`_plane_links`): ``(Net field, value)``, each a ``boolean``
    #: decided once with the layers (``Conv2D.planes``)
    links: tuple[tuple[str, Call], ...] = ()
    #: the chain's outputs over all the frames of a sample (of ``nb`` samples on a batch), as
    #: large as they are when a pass takes every frame: what caps a batch (``parts.batch_grow``)
    outs: tuple = ()
    #: the maps the chain's calls make inside themselves (``CallView.inner``) over all the frames
    #: of a sample, counted with ``outs``
    inner: tuple = ()
    buffers: tuple[str, ...] = ()
    template: str = "ops/frames.j2"


@register_op
@dataclass(frozen=True)
class FrameLoopOp(PerStepModelOp):
    """A chain of per-frame ops run a few frames at a time (``emit.rewrite.frame_loops``): ``sub``
    holds the chain's nodes on a variable number of frames (a pass).  The same values as the
    ops one after the other over all frames; like them it streams one frame per step and runs
    on a batch (its samples' frames one after the other are more frames)."""

    kind: ClassVar[str] = "frame_loop"
    runtime: ClassVar[tuple[str, ...]] = ("Check", "Frames")

    def stream_outputs(self, rank):
        return (0,) if rank == len(self.sub.tensor(self.sub.inputs[0].tensor).shape) else None

    def evaluate(self, inputs):
        value = inputs[0]   # each op of the chain takes the row of frames
        for node in self.sub.nodes:
            value = node.op.evaluate([value])[0]
        return [value]

    def view(self, node, ctx: ViewContext) -> FramesView:
        sub = self.sub
        k = ctx.field[1:]
        x, y = ctx.ins[0], ctx.outs[0]
        count = f"c{k}"
        t_in = sub.inputs[0].tensor
        frame_in = f"b{k}_x"
        infos = {t_in: TensorInfo(frame_in, count, sub.tensor(t_in).shape)}
        buffers = [frame_in]
        views = []
        outs = []
        inner_maps = []
        frames = x.step_count()
        for j, inner in enumerate(sub.nodes):
            t = inner.outputs[0]
            var = f"b{k}_{t[1:]}"
            buffers.append(var)
            # a frame count the op's view declares, or its input's
            steps = f"{count}_{j}" if inner.op.time_changing else infos[inner.inputs[0]].steps
            infos[t] = TensorInfo(var, steps, sub.tensor(t).shape)
            floats = prod(sub.tensor(t).shape[1:])   # type: ignore[arg-type]
            outs.append(Out(var, Size(None, floats * frames) if isinstance(frames, int) else Size(x.steps, floats)))
            if inner.op.map_floats():
                m = inner.op.map_floats()
                inner_maps.append(Out(var, Size(None, m * frames) if isinstance(frames, int) else Size(x.steps, m)))
            ictx = ViewContext(f"L{k}_{j}", (infos[inner.inputs[0]],), (infos[t],), ctx.offsets)
            views.append(inner.op.view(inner, ictx))
        views, links = _plane_links(k, sub, views, [infos[inner.inputs[0]] for inner in sub.nodes])
        t_out = sub.outputs[0].tensor
        largest = max([prod(sub.tensor(t).shape[1:]) for t in [t_in, *(n.outputs[0] for n in sub.nodes)]]  # type: ignore[misc]
                      + [n.op.map_floats() for n in sub.nodes])
        return FramesView(
            field=ctx.field, comment=comment(node), x=x.var, out=y.var, out_length=y.length(),
            frames=x.step_count(), index=f"i{k}", count=count, per_pass=f"g{k}",
            per_pass_value=_per_pass(x.step_count(), largest), map_floats=largest, frame_in=frame_in,
            in_size=prod(sub.tensor(t_in).shape[1:]), frame_out=infos[t_out].var,   # type: ignore[arg-type]
            out_size=prod(sub.tensor(t_out).shape[1:]), ops=tuple(views), outs=tuple(outs),  # type: ignore[arg-type]
            inner=tuple(inner_maps),
            buffers=tuple(buffers), links=links)

    def batch_view(self, node, ctx: ViewContext) -> FramesView:
        v = self.view(node, ctx)
        frames = Times(BATCH, v.frames)
        return replace(v, frames=frames, per_pass_value=_per_pass(frames, v.map_floats),
                       out_length=Times(BATCH, v.out_length),
                       outs=tuple(Out(o.var, Times(BATCH, o.length)) for o in v.outs),
                       inner=tuple(Out(o.var, Times(BATCH, o.length)) for o in v.inner))


def _per_pass(frames, map_floats: int) -> Call:
    """``Frames.perPass``: the frames per pass of a chain, decided at run time."""
    return Call("Frames", "perPass", (frames, map_floats))


def _plane_links(k: str, sub: Model, views: list, ins: list) -> tuple[list, tuple[tuple[str, Call], ...]]:
    """The chain's views with channel-plane links, and the links: one where an op that can
    write planes feeds one that can read them (:meth:`Op.channel_planes`: a Conv2D, or a Conv2D
    merged with its max pooling, into another), directly or through ops that pass planes on
    (:meth:`Op.planes_view`: activations acting on each value alone, BatchNormalization over
    the channels).  Whether a link carries planes is decided at run time, once, as a
    ``boolean`` Net field (``Conv2D.planes``: both convolutions multiply transposed rows with
    the active kernels, and a merged end takes its one-pass path, :attr:`Op.planes_pooled`,
    ``Conv2D.pooled``); each of its two
    convolutions takes the flags as its last arguments (planes in, planes out), and the ops
    between them take it as their views say.  The outputs then skip their scatter into
    channels-last rows and the inputs their copy into planes; the values do not change.
    Measured, a VGG-like chain of 3 x 3 convolutions on 8 frames of 64 x 64 (alternating, load
    0.8): JDK 17 7.43-7.44 -> 6.83-6.85 ms, JDK 25 6.25-6.46 -> 5.76-5.82.  A pooling layer does
    not pass planes on: on planes its windows are strided reads of one channel (1.0-2.7 ns per
    output, 0.5 channels last), which cost cnn_lstm's two MaxPooling2D layers what the planes
    saved its convolutions; merged with the Conv2D before it (``emit.rewrite.conv_max_pool``)
    it pools phase by phase and links.  A link may also end at an op that reads planes but
    does not write them (:meth:`Op.reads_planes`: a global pooling), decided by the writer
    alone (``Conv2D.planesOut``); its call takes the flag as its last argument.  ``ins`` holds
    each node's input."""
    nodes = sub.nodes
    views = list(views)
    flags_in: dict[int, Any] = {}
    flags_out: dict[int, Any] = {}
    links = []
    start: Optional[int] = None   # the last op that can write planes, while only ops passing them follow
    for j, node in enumerate(nodes):
        writer = node.op.channel_planes()
        reader = writer or node.op.reads_planes()
        if reader and start is not None:
            name = f"P{k}_{len(links)}"
            flag = Var(f"n.{name}")
            a = (Var(f"L{k}_{start}"), ins[start].shape[1], nodes[start].op.planes_pooled)
            if writer:
                b = (Var(f"L{k}_{j}"), ins[j].shape[1], node.op.planes_pooled)
                links.append((name, Call("Conv2D", "planes", a + b if a[2] or b[2] else a[:2] + b[:2])))
            else:   # a reader only (a global pooling): the writer alone decides
                links.append((name, Call("Conv2D", "planesOut", a)))
            flags_out[start] = flags_in[j] = flag
            for i in range(start + 1, j):
                views[i] = nodes[i].op.planes_view(views[i], flag, ins[i])
        if writer:
            start = j
        elif reader or (start is not None and node.op.planes_view(views[j], False, ins[j]) is None):
            start = None
    out = [v if j not in flags_in and j not in flags_out
           else replace(v, args=v.args + (flags_in[j],)) if nodes[j].op.reads_planes()
           else replace(v, args=v.args + (flags_in.get(j, False), flags_out.get(j, False)))
           for j, v in enumerate(views)]
    return out, tuple(links)


def _per_step(ctx: LayerContext, result: "Composite | Model") -> "Composite | Converted":
    if isinstance(result, Composite):
        return result
    out = result.tensor(result.outputs[0].tensor).shape
    return Converted(PerStepModelOp(result), ((ctx.input_shapes[0][0],) + tuple(out),))


@converter("TimeDistributed", mask=MaskRule.PASS)
def convert_time_distributed(ctx: LayerContext) -> "Converted | Composite":
    shape = ctx.single_input()
    if len(shape) < 2:
        raise ConversionProblem(f"input has shape {format_shape(shape)}; TimeDistributed needs (timesteps, ...)")
    inner_cfg = ctx.layer.config.get("layer")
    cls = inner_cfg.get("class_name") if isinstance(inner_cfg, Mapping) else None
    if cls == "Sequential":
        layers = _nested_layers(inner_cfg, ctx.layer)
        if not layers or sum(len(l.weights) for l in layers) != len(ctx.layer.weights):
            # not a stack of per-frame layers: per-step layers, or the sub-graph run per step
            return _per_step(ctx, convert_time_distributed_model(ctx, inner_cfg))
    elif cls in ("Functional", "Model"):
        return _per_step(ctx, convert_time_distributed_model(ctx, inner_cfg))
    else:
        if not isinstance(cls, str) or layer_spec(cls) is None:
            raise ConversionProblem(f"wrapped layer class {cls!r} is not supported")
        layers = [_inner_layer(inner_cfg, "wrapped layer", ctx.layer.weights, ctx.layer)]
    try:
        return _lift_layers(ctx, layers)
    except ConversionProblem:
        pass
    # A layer with its own time axis per step (an LSTM, Conv1D or pooling over each word's
    # characters): the layer, or the nested Sequential, as a sub-graph run once per step.
    if cls == "Sequential":
        graph = convert_per_step_model(ctx, inner_cfg)
    else:
        name = (inner_cfg.get("config") or {}).get("name", cls)
        wrapped = {"class_name": "Sequential", "config": {"name": f"{name}_per_step", "layers": [thaw(inner_cfg)]}}
        try:
            graph = convert_per_step_model(ctx, wrapped, lambda i, n, c: tuple(ctx.layer.weights))
        except ConversionProblem as exc:
            raise ConversionProblem(*[f"TimeDistributed({cls}): {r}" for r in exc.reasons]) from None
    return _per_step(ctx, graph)


def _lift_layers(ctx: LayerContext, layers: list) -> "Converted | Composite":
    """Per-step and per-frame layers as ops on the whole ``(timesteps, ...)`` tensor."""
    shape = ctx.input_shapes[0]
    frames_fixed = shape[0] is not None
    frame = tuple(shape[1:])
    steps: list = []
    current = 0            # index of the composite value holding the current tensor
    for layer in layers:
        spec = layer_spec(layer.class_name)
        if spec is None:
            raise ConversionProblem(f"wrapped layer class {layer.class_name!r} is not supported")
        try:
            converted = spec.convert(LayerContext(layer, (frame,), ctx.keras_major, None))
        except ConversionProblem as exc:
            raise ConversionProblem(*[f"wrapped {layer.class_name}: {r}" for r in exc.reasons]) from None
        lifted, out_index = _lift(converted, layer.class_name, frame, frames_fixed)
        per_frame = any(op.per_frame or isinstance(op, PermuteOp) for op, _, _ in lifted)
        if per_frame and any(d is None for d in frame):
            raise ConversionProblem(f"TimeDistributed({layer.class_name}) needs a fixed frame shape, "
                                    f"got {format_shape(frame)}")
        base = len(steps) + 1          # composite index of this layer's first step output
        local = {0: current}           # the converted layer's value index -> composite index
        for j, (op, inputs, outs) in enumerate(lifted):
            steps.append(Step(op, tuple(local[i] for i in inputs), ((shape[0],) + tuple(outs[0]),)))
            local[j + 1] = base + j
            frame = tuple(outs[0])
        current = local[out_index]
    if len(steps) == 1:
        return Converted(steps[0].op, steps[0].output_shapes)
    return Composite(tuple(steps), (current,))
