"""The Functional driver: apply every saved layer call once its inputs exist.

The calls run in dependency order (a work list), not config order.  The
Keras 3 mask graph (:func:`.keras3_graph.mask_graph_layers`) is built lazily,
only for a ``mask=`` argument no derived mask answers; :mod:`.masks` decides
how each recorded ``mask=`` is answered.
"""
from __future__ import annotations

from typing import Any, Optional

from ..ir import ModelPort
from ..ops import ConversionProblem, layer_spec
from ..ops.base import MaskRule
from ..reader.raw import InboundRef, RawLayer, RawModel
from .keras3_graph import mask_clearing, mask_graph_layers, node_shift, port_ref, spec_name
from .masks import cleared_inputs, explicit_mask_problem, nested_mask_problem, note_runtime_masks, recorded_mask

Ports = tuple[tuple[ModelPort, ...], tuple[ModelPort, ...]]
Call = tuple[RawLayer, int, Any]


class _Graph:
    """The values of one Functional graph while its calls are made."""

    def __init__(self, b, raw: RawModel, given: Optional[tuple[str, ...]]) -> None:
        self.b = b
        self.raw = raw
        self.produced: dict[tuple[str, int], Optional[tuple[str, ...]]] = {}
        self.by_name = {layer.name: layer for layer in raw.layers}
        self.mask_graph = mask_graph_layers(raw.layers, raw.output_refs)
        self.fed = {ref.layer: t for ref, t in zip(raw.input_refs, given)} if given is not None else {}
        self.lazy: set[str] = set()      # Keras 3's recorded mask computation: built only when needed
        self.demanded: set[str] = set()

    def calls(self) -> list[Call]:
        """Every saved call (``call`` None for a layer whose class failed its check);
        model inputs are produced at once."""
        b, pending = self.b, []
        for layer in self.raw.layers:
            if layer.name in self.mask_graph:
                # Masks from Masking / Embedding(mask_zero=True) are derived here; the recorded
                # computation is built only for a mask= argument no derived mask answers.
                self.lazy.add(layer.name)
                for k, call in enumerate(layer.inbound_nodes):
                    pending.append((layer, k, call))
                continue
            ok = b.check_class(layer)
            if layer.class_name == "InputLayer":
                if layer.name in self.fed:
                    self.produced[(layer.name, 0)] = (self.fed[layer.name],)
                    continue
                try:
                    self.produced[(layer.name, 0)] = (b.input_tensor(layer),)
                except ConversionProblem as exc:
                    b.report(layer, str(exc))
                    self.produced[(layer.name, 0)] = None
                continue
            for k, call in enumerate(layer.inbound_nodes, start=node_shift(layer, b.major)):
                pending.append((layer, k, call if ok else None))
                if not ok:
                    self.produced[(layer.name, k)] = None
        return pending

    def resolve(self, ref: InboundRef) -> Optional[str]:
        outs = self.produced[(ref.layer, ref.node_index)]
        if outs is None:
            return None
        if ref.tensor_index >= len(outs):
            raise ConversionProblem(f"refers to output {ref.tensor_index} of layer {ref.layer!r}, which has {len(outs)}")
        return outs[ref.tensor_index]

    def demand(self, refs) -> bool:
        """Asks for the lazy layers among ``refs``; True if any was newly asked for."""
        new = {r.layer for r in refs if r.layer in self.lazy and r.layer not in self.demanded}
        self.demanded.update(new)
        return bool(new)

    def waiting(self, layer: RawLayer) -> bool:
        return layer.name in self.lazy and layer.name not in self.demanded

    def fail(self, layer: RawLayer, k: int, reason: Optional[str] = None) -> None:
        if reason is not None:
            self.b.report(layer, reason)
        self.produced[(layer.name, k)] = None

    def make(self, layer: RawLayer, k: int, call, clears_at) -> Optional[bool]:
        """Try call ``k`` of ``layer``: None if its inputs do not exist yet (else whether
        it produced something or failed, both progress)."""
        b = self.b
        if layer.name in self.lazy and (layer.name, k) not in self.produced and not b.check_class(layer):
            self.fail(layer, k)
            return True
        refs = list(call.args)
        spec = layer_spec(spec_name(layer))
        tensor_kwargs = spec.tensor_kwargs if spec is not None else ()
        for key in tensor_kwargs:   # e.g. initial states follow the sequence
            refs += list(call.kwargs.get(key, ()))
        if any((r.layer, r.node_index) not in self.produced for r in refs):
            return False if self.demand(refs) else None
        try:
            ins = [self.resolve(r) for r in refs]
        except ConversionProblem as exc:
            self.fail(layer, k, str(exc))
            return True
        if ins and any(t is None for t in ins):
            self.fail(layer, k)   # an input failed (reported there): nothing more to say
            return True
        mask_refs = call.kwargs.get("mask", ())
        derived, explicit_ref = recorded_mask(b, spec, call, ins, self.mask_graph)
        if explicit_ref is not None and (explicit_ref.layer, explicit_ref.node_index) not in self.produced:
            return False if self.demand(mask_refs) else None
        extra = [key for key in call.kwargs
                 if key not in tensor_kwargs and not (key == "mask" and (derived or explicit_ref is not None))]
        cleared = cleared_inputs(call, clears_at, (layer.name, k), refs, ins)
        if extra == ["mask"] and layer.submodel is not None:
            why = nested_mask_problem(b, layer, k, refs, ins, mask_refs, self.mask_graph, clears_at)
            if why:
                self.fail(layer, k, why)
                return True
            extra = []
        if extra == ["mask"] and spec is not None and spec.mask_rule(b.major) is MaskRule.REFUSE:
            self.fail(layer, k, f"receives a Keras mask (mask=), which keras2java does not support for "
                                f"{layer.class_name} layers")
            return True
        if extra:
            self.fail(layer, k, f"tensor keyword arguments {extra} are not supported yet")
            return True
        if not ins:
            self.fail(layer, k, "layer call has no input tensors")
            return True
        explicit = None
        if explicit_ref is not None:
            try:
                explicit = self.resolve(explicit_ref)
            except ConversionProblem as exc:
                b.report(layer, f"mask: {exc}")
            if explicit is None:
                self.fail(layer, k)
                return True
            why = explicit_mask_problem(b, explicit, ins)
            if why:
                self.fail(layer, k, why)
                return True
        outs = self.produced[(layer.name, k)] = b.apply(layer, tuple(ins), call, explicit, cleared)
        note_runtime_masks(b, layer, ins, outs)
        return True

    def run(self, todo: list[Call]) -> None:
        """Make the calls in dependency order; report those that never get their inputs."""
        clears_at = mask_clearing(self.raw, todo, self.b.major)
        while todo:
            progressed = False
            rest = []
            for layer, k, call in todo:
                if self.waiting(layer):
                    rest.append((layer, k, call))
                    continue
                done = self.make(layer, k, call, clears_at)
                if done is None or done is False:
                    progressed |= done is False
                    rest.append((layer, k, call))
                else:
                    progressed = True
            if not progressed:
                for layer, k, call in rest:
                    if self.waiting(layer):
                        continue
                    missing = sorted({r.layer for r in call.args if (r.layer, r.node_index) not in self.produced})
                    bad = [m for m in missing if m not in self.by_name]
                    self.b.report(layer, f"inputs come from unknown layer(s) {bad or missing}")
                break
            todo = rest

    def ports(self, refs, keys, what) -> tuple[ModelPort, ...]:
        out = []
        keys = tuple(keys) + (None,) * (len(refs) - len(keys))
        for ref, key in zip(refs, keys):
            ref = port_ref(ref, self.by_name, self.b.major)   # ports may count a nested model's calls differently
            if (ref.layer, ref.node_index) not in self.produced:
                self.b.problems.add(None, None, f"model {what} refers to unknown layer {ref.layer!r}")
                continue
            try:
                t = self.resolve(ref)
            except ConversionProblem as exc:
                self.b.problems.add(None, None, f"model {what}: {exc}")
                continue
            if t is not None:   # a dict port is named by its key
                out.append(ModelPort(t, key if key is not None else ref.layer))
        return tuple(out)


def functional(b, raw: RawModel, given: Optional[tuple[str, ...]] = None) -> Ports:
    """Build a Functional model; with ``given`` (a nested model) its inputs are those tensors."""
    graph = _Graph(b, raw, given)
    graph.run([p for p in graph.calls() if p[2] is not None])
    return (graph.ports(raw.input_refs, raw.input_keys, "input"),
            graph.ports(raw.output_refs, raw.output_keys, "output"))
