"""Keras 3's run order of a Functional graph, reproduced from a saved config
(``graph_order.run_order``: ``map_graph`` and ``_run_through_graph``).  It decides
which layers still see a mask that ``MultiHeadAttention`` clears, so it is checked
against the order in which Keras itself runs the calls of the reloaded models:
random fuzzer graphs (shared layers, several outputs, nested models) and a hand-made
graph with branches of equal depth."""
from __future__ import annotations

import pytest

from fuzz_models import generator
from fuzz_models.spec import NotBuildable, build
from keras2java.graph_order import run_order
from keras2java.reader import read_model

pytestmark = [pytest.mark.keras, pytest.mark.slow]


def keras_run_order(model) -> list:
    """(layer name, saved node index) of each call, in the order Keras runs them.  A nested
    Functional model's built-in first node is not saved, so its calls count from 1."""
    from keras import Sequential
    from keras.src.models.functional import Functional
    order = []
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            op = node.operation
            index = op._inbound_nodes.index(node)
            if isinstance(op, Functional) and not isinstance(op, Sequential):
                index -= 1
            order.append((op.name, index))
    return order


def ours(path) -> list:
    raw = read_model(str(path))
    nested = {layer.name for layer in raw.layers
              if layer.submodel is not None and layer.submodel.class_name != "Sequential"}
    rank = run_order(raw, lambda r: (r.layer, r.node_index - (r.layer in nested)))
    return sorted(rank, key=rank.get)


def branches(k):
    L = k.layers
    ids = k.Input((6,), name="ids")
    e = L.Embedding(20, 4, mask_zero=True)(ids)
    d = L.Dense(4)
    a, b = d(e), L.Dense(4)(e)
    c = d(L.Maximum()([a, b]))
    outs = [L.MultiHeadAttention(1, 2)(e, c), L.Minimum()([b, e]), L.LSTM(2)(L.Dense(4)(L.Dense(4)(a))), c]
    return k.Model(ids, outs)


def test_run_order_matches_keras(tmp_path):
    import keras
    models = [("branches", branches(keras))]
    seed = 3000
    while len(models) < 40:
        spec = generator.generate(seed)
        seed += 1
        if spec.get("sequential"):
            continue
        try:
            models.append((f"seed{seed - 1}", build(spec, keras)))
        except (NotBuildable, ValueError, TypeError, NotImplementedError):
            continue
    for name, model in models:
        path = tmp_path / f"{name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path, compile=False)
        assert ours(path) == keras_run_order(loaded), name
        keras.backend.clear_session()
