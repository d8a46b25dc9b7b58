"""How Keras masks flow through layers (decided here, once, for the builder).

A mask is one value per timestep.  It is created by ``Masking`` and by
``Embedding(mask_zero=True)``, consumed by recurrent layers, and passed on
unchanged by the layers Keras lets it pass (``supports_masking`` with the
default ``compute_mask``).  A recurrent layer passes it on only with
``return_sequences``.  A mask reaching any other layer is reported rather
than silently ignored, because layers that use masks would compute
something else.
"""
from __future__ import annotations

#: Layers that consume the mask of their first input (recurrent layers).
CONSUMERS = frozenset({"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional"})

#: Layers that read the mask of their input but do not pass it on (Keras' compute_mask returns None).
POOLING_CONSUMERS = frozenset({"GlobalAveragePooling1D"})

#: Layers that pass the mask of their input on unchanged (Keras: supports_masking).
PASSTHROUGH = frozenset({
    "Dense", "TimeDistributed", "Activation", "ReLU", "LeakyReLU", "ELU",
    "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "ActivityRegularization", "Masking", "BatchNormalization", "LayerNormalization", "UnitNormalization",
})


def accepts_mask(class_name: str) -> bool:
    return class_name in CONSUMERS or class_name in PASSTHROUGH or class_name in POOLING_CONSUMERS


#: Keras 3 op-layers with which Functional configs record how masks are computed
#: (``NotEqual(x, mask_value)``, ``Any(..., axis=-1)``).
MASK_GRAPH_CLASSES = frozenset({"NotEqual", "Any"})


def mask_graph_layers(layers) -> frozenset:
    """Names of the op-layers that only compute masks: every use of their
    outputs is a ``mask=`` keyword argument or another such layer.  Keras 3
    records them in Functional configs; keras2java derives the same masks from
    Masking and Embedding(mask_zero=True) itself."""
    candidates = {layer.name for layer in layers if layer.class_name in MASK_GRAPH_CLASSES}
    changed = True
    while changed:
        changed = False
        for layer in layers:
            for call in layer.inbound_nodes:
                used = [r.layer for r in call.args]
                used += [r.layer for key, refs in call.kwargs.items() if key != "mask" for r in refs]
                if layer.name in candidates:
                    continue  # uses inside the mask graph are fine
                bad = candidates.intersection(used)
                if bad:
                    candidates -= bad
                    changed = True
    return frozenset(candidates)


def derived_mask(refs, mask_graph: frozenset) -> bool:
    """True if a ``mask=`` argument comes from the recorded mask computation."""
    return bool(refs) and all(r.layer in mask_graph for r in refs)
