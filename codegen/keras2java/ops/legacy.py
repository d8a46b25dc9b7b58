"""What the Keras 1/2 upgrade hooks share (:func:`keras2java.ops.base.legacy_upgrade`).

Keras 0.x, 1.x and 2.0-2.2 wrote models that differ from today's in config
keys, weight layouts and defaults.  Each op family registers, beside its
converters, the hook that rewrites its legacy layers into the Keras 2 form
those converters read (tf2onnx's ``version_N`` handlers); the readers
(:mod:`keras2java.reader.legacy_keras`) only dispatch to the hooks.  A hook
records, for ``keras2java inspect``, how every stored tensor maps to a gate
and role (``SourceInfo.weight_map``) through :class:`UpgradeContext`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, MutableMapping

from ..ir import format_shape
from ..reader.raw import RawLayer, RawWeight


@dataclass
class UpgradeContext:
    """The Keras version that wrote the file and the provenance lines collected."""

    major: int
    minor: int
    #: the file's ``backend`` is Theano (convolution kernels are flipped)
    theano: bool = False
    #: ``(layer name, "stored tensor (shape) -> gate and role")`` lines for ``inspect``
    lines: list = field(default_factory=list)
    #: upgrades a wrapped layer (``Bidirectional``'s halves), as the reader does a layer
    upgrade_inner: Callable[[RawLayer], RawLayer] = lambda layer: layer

    def note(self, layer: str, text: str) -> None:
        self.lines.append((layer, text))

    def add(self, layer: str, w: RawWeight, target: str, note: str = "", where: str = "") -> None:
        self.lines.append((layer, f"{w.name}{where} {format_shape(w.shape)} -> {target}{note}"))


def rename(cfg: MutableMapping[str, Any], old: str, new: str) -> None:
    """A Keras 1 config key under its Keras 2 name (``legacy/interfaces.py``)."""
    if old in cfg and new not in cfg:
        cfg[new] = cfg.pop(old)


def keras1_input_shape(cfg: MutableMapping[str, Any], sequence: bool = False, embedding: bool = False) -> None:
    """Keras 0.x/1.x ``input_shape`` / ``input_dim`` / ``input_length`` of a first layer
    as ``batch_input_shape``; ``sequence``: a recurrent layer's ``(None, T, input_dim)``,
    ``embedding``: ``Embedding``'s ``(None, input_length)``."""
    if "batch_input_shape" in cfg:
        return
    if isinstance(cfg.get("input_shape"), (list, tuple)):          # Keras 0.x
        cfg["batch_input_shape"] = [None] + list(cfg["input_shape"])
    elif embedding:
        if "input_length" in cfg:
            cfg["batch_input_shape"] = [None, cfg["input_length"]]
    elif cfg.get("input_dim") is not None:
        if sequence:
            cfg["batch_input_shape"] = [None, cfg.get("input_length"), cfg["input_dim"]]
        else:
            cfg["batch_input_shape"] = [None, cfg["input_dim"]]


def describe_keras1(ctx: UpgradeContext, layer: RawLayer, weights, names: tuple, roles: tuple) -> None:
    """Provenance of a Keras 1 layer's tensors stored under their Keras 1 names."""
    if len(weights) <= len(names):
        for sym, role, w in zip(names, roles, weights):
            ctx.add(layer.name, w, f"{sym} ({role})")
