"""Random, seeded, reproducible model specs over the README's supported layers.

``generate(seed)`` grows a Functional graph with Keras 3: each step draws a layer
that fits a tensor already in the graph (or a pair of tensors for merges and
attention), applies it symbolically and keeps it only if Keras accepts it.  The
same seed always gives the same spec.  Lengths of the variable timestep axis
(shared by all variable-length inputs of a sample) are tracked concretely for
every allowed length, so merges only join tensors whose lengths agree and no
sample makes a tensor empty.
"""
from __future__ import annotations

import numpy as np

from . import media
from .spec import SPEC_VERSION, apply_layer, build_layer

ACTIVATIONS = ["linear", "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax",
               "hard_sigmoid", "elu", "selu", "softplus", "softsign", "exponential", "swish", "silu", "gelu",
               "hard_silu", "mish"]
#: Mostly bounded activations inside recurrent cells (unbounded ones are chaotic; a few stay).
RNN_ACTIVATIONS = ["tanh"] * 6 + ["sigmoid", "relu", "softsign", "hard_sigmoid", "linear", "elu"]
RNN_RECURRENT = ["sigmoid"] * 5 + ["hard_sigmoid", "tanh", "softsign"]

L_RANGE = list(range(6, 15))      # candidate lengths of a variable timestep axis

#: Layers that keep a mask (as the README documents); others drop or consume it.
MASK_PASS = {"Dense", "TimeDistributed", "Activation", "Softmax", "ReLU", "LeakyReLU", "ELU", "PReLU", "Dropout",
             "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "SpatialDropout1D",
             "BatchNormalization", "LayerNormalization", "Normalization", "Rescaling", "Identity", "Masking",
             "Sequential", "GroupNormalization", "RMSNormalization"}
MASK_CONSUME = {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "GlobalAveragePooling1D"}

#: Every layer class the generator can emit (checked against the README table by the tests).
GENERATED = sorted({
    "InputLayer", "LSTM", "GRU", "SimpleRNN", "RNN", "StackedRNNCells", "LSTMCell", "GRUCell", "SimpleRNNCell",
    "Bidirectional", "TimeDistributed", "Embedding", "Masking", "Dense", "Activation", "Softmax", "ReLU",
    "LeakyReLU", "ELU", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "ActivityRegularization", "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Dot", "Attention", "AdditiveAttention", "MultiHeadAttention", "Sequential", "Conv1D", "DepthwiseConv1D",
    "SeparableConv1D", "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
    "BatchNormalization", "LayerNormalization", "UnitNormalization", "Flatten", "Reshape", "Permute",
    "Normalization", "Rescaling", "PReLU", "Identity", "RepeatVector", "UpSampling1D", "ZeroPadding1D",
    "Cropping1D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "Conv1DTranspose",
    "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "ZeroPadding2D",
    "Cropping2D", "UpSampling2D", "ConvLSTM2D", "ConvLSTM1D",
    # the 3-D family (volume inputs, or frames of images), ConvLSTM3D on sequences of volumes
    "Conv3D", "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
    "ZeroPadding3D", "Cropping3D", "UpSampling3D", "ConvLSTM3D", "SpatialDropout3D",
    # image preprocessing on fixed-size images
    "Resizing", "CenterCrop", "RandomCrop", "AutoContrast", *media.IDENTITY_IMAGE,
    # the newer layers
    "AdaptiveAveragePooling1D", "AdaptiveMaxPooling1D", "AdaptiveAveragePooling2D", "AdaptiveMaxPooling2D",
    "AdaptiveAveragePooling3D", "AdaptiveMaxPooling3D", "GroupNormalization", "RMSNormalization", "EinsumDense",
    "GroupQueryAttention",
})

#: README layers the generator does not emit, and why (the tests require a reason for each).
EXCLUDED = {
    "Functional": "nested Functional sub-models: the generator nests Sequential models only; nested Functional "
                  "models are covered by tests/scenarios/test_graphs.py",
    "Keras": "the 'Keras 3 dict / nested inputs' and 'keras.ops operation nodes' rows are not layer classes; "
             "they are covered by tests/layers/test_keras_ops.py and tests/scenarios/test_graphs.py",
    "Discretization": "preprocessing layer with integer/bucket outputs: a float harness sample lands on bin "
                      "edges arbitrarily; covered by tests/layers/test_preprocessing.py",
    "CategoryEncoding": "needs integer-valued inputs of a fixed vocabulary; covered by tests/layers/test_preprocessing.py",
    "IntegerLookup": "needs integer inputs and a vocabulary; covered by tests/layers/test_preprocessing.py",
    "TextVectorization": "string inputs: the float runner cannot feed them; covered by tests/layers/test_text.py",
    "StringLookup": "string inputs: the float runner cannot feed them; covered by tests/layers/test_text.py",
    "Hashing": "string or int64 inputs; covered by tests/layers/test_text.py and tests/layers/test_preprocessing.py",
    **{name: "tf-keras only (Keras 3 has no such class; the generator grows its graphs with Keras 3) and its "
             "output height or width is variable; covered by tests/layers/test_image_preprocessing.py"
       for name in ("RandomHeight", "RandomWidth")},
}


def _act(rng) -> str:
    return str(rng.choice(ACTIVATIONS))


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


class _Gen:
    def __init__(self, seed: int, k):
        self.rng = np.random.default_rng(seed)
        self.k = k
        self.seed = seed
        self.inputs: list = []
        self.nodes: list = []
        self.tensors: dict = {}     # name -> dict(kt, shape, lens, masked, used)
        self.layers: dict = {}      # node id -> layer object
        self.count = 0

    # -- tensors ---------------------------------------------------------------------------
    def add_input(self):
        rng = self.rng
        kind = _pick(rng, ["seq"] * 6 + ["padded"] * 2 + ["tokens"] * 3 + ["vec"] * 2 + ["image"] * 3 + ["video"]
                     + ["volume"] * 2 + ["volumes"])
        var = rng.random() < 0.6
        T = None if var else int(rng.integers(3, 9))
        data, vocab = "float", 0
        if kind in ("seq", "padded"):
            shape = [T, int(rng.integers(1, 7))]
            data = "padded" if kind == "padded" else "float"
        elif kind == "tokens":
            shape = [T]
            data, vocab = "tokens", int(rng.integers(3, 20))
        elif kind == "vec":
            shape = [int(rng.integers(1, 9))]
        elif kind == "image":
            shape = [T if rng.random() < 0.3 else int(rng.integers(3, 9)), int(rng.integers(3, 8)),
                     int(_pick(rng, [1, 2, 3, 3]))]   # RGB often (some colour augmentations need it)
        elif kind == "volume":   # (D, H, W, C) for the 3-D family (fixed H and W; D may vary)
            shape = [T if rng.random() < 0.3 else int(rng.integers(2, 6)), int(rng.integers(2, 6)),
                     int(rng.integers(2, 6)), int(rng.integers(1, 3))]
        elif kind == "volumes":   # a sequence of volumes for ConvLSTM3D
            shape = [T if rng.random() < 0.5 else int(rng.integers(2, 5)), int(rng.integers(2, 4)),
                     int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(1, 3))]
        else:   # a sequence of frames for ConvLSTM / TimeDistributed
            shape = [T, int(rng.integers(3, 7)), int(rng.integers(1, 4))]
            if rng.random() < 0.4:
                # frames of up to 25 pixels, or some of 36-144 (where the runtime's transposed
                # convolutions, and channel planes between them, take over)
                side = (6, 13) if rng.random() < 0.3 else (3, 6)
                shape = [T, int(rng.integers(*side)), int(rng.integers(*side)), int(rng.integers(1, 3))]
        name = f"x{len(self.inputs)}"
        self.inputs.append({"shape": shape, "data": data, "vocab": vocab})
        kt = self.k.Input(shape=tuple(shape), name=name)
        lens = {L: L for L in L_RANGE} if shape and shape[0] is None else None
        self.tensors[name] = dict(kt=kt, shape=tuple(shape), lens=lens, masked=False, used=False,
                                  tokens=data == "tokens", padded=data == "padded")

    def shape_of(self, name):
        return self.tensors[name]["shape"]

    # -- applying ------------------------------------------------------------------------
    def try_node(self, node: dict, ins: list, layer=None) -> bool:
        """Apply ``node`` to tensors ``ins``; keep it if Keras accepts it and every length stays >= 2."""
        node = dict(node)
        nid = f"n{self.count}"
        node["id"] = nid
        node["in"] = list(ins)
        try:
            layer = layer if layer is not None else build_layer(self.k, node)
            n_out = node.pop("n_out", 1)
            node["out"] = [nid] if n_out == 1 else [f"{nid}.{i}" for i in range(n_out)]
            outs = apply_layer(layer, node, [self.tensors[n]["kt"] for n in ins])
        except Exception:
            return False
        infos = []
        first = self.tensors[ins[0]]
        for kt in outs:
            shape = tuple(None if d is None else int(d) for d in kt.shape[1:])
            if any(d is not None and d < 1 for d in shape) or None in shape[1:]:
                return False   # the runner feeds one variable axis (the first); images of any size are covered by the layer tests
            if len(shape) > 1 and shape[0] is not None and shape[0] > 64:
                return False
            if int(np.prod([d for d in shape if d is not None] or [1])) > 4096:
                return False
            lens = None
            if shape and shape[0] is None:
                if first["lens"] is None:
                    return False
                lens = self._lengths(layer, node, ins, first)
                if lens is None:
                    return False
            infos.append((shape, lens))
        masked = self._mask_after(node, ins)
        for name, kt, (shape, lens) in zip(node["out"], outs, infos):
            self.tensors[name] = dict(kt=kt, shape=shape, lens=lens, masked=masked, used=False, tokens=False,
                                      padded=False)
        for n in ins:
            self.tensors[n]["used"] = True
        self.layers[nid] = layer
        node.pop("_probe", None)
        self.nodes.append(node)
        self.count += 1
        return True

    def _lengths(self, layer, node, ins, first):
        """Output length for each allowed input length (None if some length gets < 2)."""
        lens = {}
        for L, t in first["lens"].items():
            if t is None:
                lens[L] = None
                continue
            shape = (1, t) + tuple(first["shape"][1:])
            try:
                if node["class"] in ("Sequential", "Attention", "AdditiveAttention", "MultiHeadAttention",
                                     "GroupQueryAttention"):
                    out_t = t if node["class"] != "Sequential" else self._seq_len(layer, shape)
                else:
                    out_shape = layer.compute_output_shape(shape)
                    if isinstance(out_shape, list):
                        out_shape = out_shape[0]
                    if isinstance(out_shape[0], (tuple, list)):
                        out_shape = out_shape[0]
                    out_t = out_shape[1]
            except Exception:
                if node["class"] == "Reshape":   # (-1, ...) of a length it cannot divide: Keras fails too
                    lens[L] = None
                    continue
                return None
            if out_t is None or out_t < 2:
                lens[L] = None
            else:
                lens[L] = int(out_t)
        if sum(v is not None for v in lens.values()) < 3:
            return None
        return lens

    @staticmethod
    def _seq_len(layer, shape):
        for sub in layer.layers:
            s = sub.compute_output_shape(shape)
            shape = s
        return shape[1]

    def _mask_after(self, node, ins) -> bool:
        cls = node["class"]
        if cls == "Embedding":
            return bool(node["config"].get("mask_zero"))
        if cls == "Masking":
            return True
        masked = any(self.tensors[n]["masked"] for n in ins)
        if cls in ("LSTM", "GRU", "SimpleRNN", "RNN"):
            return masked and bool(node["config"].get("return_sequences"))
        if cls == "Bidirectional":
            return masked and bool(node["inner"]["config"].get("return_sequences"))
        if cls in MASK_PASS or cls in ("Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum",
                                       "Minimum"):
            return masked
        return False

    # -- candidates ----------------------------------------------------------------------
    def unary(self, name: str, functional: bool = True):
        """A random layer spec (without id/in/out) for the tensor ``name``."""
        t = self.tensors[name]
        shape, rng = t["shape"], self.rng
        if t["tokens"]:
            return {"class": "Embedding", "config": {"input_dim": int(self.inputs[int(name[1:])]["vocab"]),
                                                       "output_dim": int(rng.integers(1, 6)),
                                                       "mask_zero": bool(rng.random() < 0.6)}}
        rank = len(shape)
        pools = {1: self._rank1, 2: self._rank2, 3: self._rank3, 4: self._rank4, 5: self._rank5}
        makers = pools[rank](shape, t)
        if t["masked"] and rng.random() < 0.85:
            keep = [m for m in makers if m[0] in MASK_PASS | MASK_CONSUME]
            makers = keep or makers
        if t["masked"]:   # Keras' Softmax adds a (batch, steps) mask to the whole tensor and fails
            makers = [m for m in makers if m[0] != "Softmax"]
        if t["padded"] and rng.random() < 0.7:
            makers = [m for m in makers if m[0] == "Masking"] or makers
        common = {m[0] for m in self._common(shape, t)}
        specific = [m for m in makers if m[0] not in common]
        if specific and rng.random() < 0.65:   # the rank's own layers, not only the generic ones
            makers = specific
        cls, make = makers[int(rng.integers(len(makers)))]
        node = make()
        if node is None:
            return None
        if not functional and node.get("n_out", 1) != 1:
            return None
        return node

    def _common(self, shape, t):
        rng = self.rng
        f = shape[-1]
        c = [
            ("Dense", lambda: {"class": "Dense", "config": {"units": int(rng.integers(1, 7)), "activation": _act(rng),
                                                            "use_bias": bool(rng.random() < 0.8)}}),
            ("Dense", lambda: {"class": "Dense", "config": {"units": int(rng.integers(1, 7)),
                                                            "activation": _pick(rng, ["tanh", "linear", "relu"])}}),
            ("Activation", lambda: {"class": "Activation", "config": {"activation": _act(rng)}}),
            ("Softmax", lambda: {"class": "Softmax", "config": {"axis": -1}}),
            ("ReLU", lambda: {"class": "ReLU", "config": {
                "max_value": _pick(rng, [None, 0.5, 1.0]), "negative_slope": float(_pick(rng, [0.0, 0.1, 0.3])),
                "threshold": float(_pick(rng, [0.0, 0.0, 0.2, -0.1]))}}),
            ("LeakyReLU", lambda: {"class": "LeakyReLU", "config": {"negative_slope": float(_pick(rng, [0.1, 0.3]))}}),
            ("ELU", lambda: {"class": "ELU", "config": {"alpha": float(_pick(rng, [1.0, 0.5]))}}),
            ("Dropout", lambda: {"class": _pick(rng, ["Dropout", "GaussianDropout", "AlphaDropout"]),
                                 "config": {"rate": 0.3}}),
            ("GaussianNoise", lambda: {"class": "GaussianNoise", "config": {"stddev": 0.2}}),
            ("ActivityRegularization", lambda: {"class": "ActivityRegularization", "config": {"l1": 0.01}}),
            ("BatchNormalization", lambda: {"class": "BatchNormalization", "config": {
                "axis": -1, "center": bool(rng.random() < 0.8), "scale": bool(rng.random() < 0.8),
                "epsilon": float(_pick(rng, [1e-3, 1e-5, 0.1]))}}),
            ("LayerNormalization", lambda: self._layernorm(shape)),
            ("UnitNormalization", lambda: {"class": "UnitNormalization", "config": {"axis": -1}}),
            ("Normalization", lambda: {"class": "Normalization", "config": {
                "axis": -1, "mean": [round(float(v), 3) for v in rng.uniform(-1, 1, f)],
                "variance": [round(float(v), 3) for v in rng.uniform(0.2, 2, f)]}} if f is not None else None),
            ("Rescaling", lambda: {"class": "Rescaling", "config": {"scale": round(float(rng.uniform(-2, 2)), 3),
                                                                    "offset": round(float(rng.uniform(-1, 1)), 3)}}),
            ("PReLU", lambda: {"class": "PReLU", "config": {"shared_axes": [1] if len(shape) > 1 and (
                shape[0] is None or rng.random() < 0.5) else None}}),
            ("Identity", lambda: {"class": "Identity", "config": {}}),
        ]
        return c + media.norms(self, shape)

    def _layernorm(self, shape):
        rng = self.rng
        cfg = {"axis": -1, "center": bool(rng.random() < 0.8), "scale": bool(rng.random() < 0.8),
               "epsilon": float(_pick(rng, [1e-3, 1e-5]))}
        if len(shape) >= 2 and shape[0] is not None and rng.random() < 0.2:
            cfg["axis"] = [-2, -1]
        if rng.random() < 0.15:
            cfg["rms_scaling"] = True
        return {"class": "LayerNormalization", "config": cfg}

    def _rank1(self, shape, t):
        rng = self.rng
        f = shape[0]
        c = self._common(shape, t)
        c.append(("RepeatVector", lambda: {"class": "RepeatVector", "config": {"n": int(rng.integers(2, 6))}}))
        divs = [d for d in range(2, f + 1) if f % d == 0]
        if divs:
            def reshape():
                d = _pick(rng, divs)
                return {"class": "Reshape", "config": {"target_shape": [f // d, d] if rng.random() < 0.7 else [-1, d]}}
            c.append(("Reshape", reshape))
        return c + media.einsum(self, shape)

    def _recurrent(self, shape, t):
        rng = self.rng
        masked = t["masked"]

        def rnn_cfg(cls):
            cfg = {"units": int(rng.integers(1, 7)), "activation": _pick(rng, RNN_ACTIVATIONS),
                   "use_bias": bool(rng.random() < 0.85), "return_sequences": bool(rng.random() < 0.5),
                   "go_backwards": bool(rng.random() < 0.25)}
            if cls != "SimpleRNN":
                cfg["recurrent_activation"] = _pick(rng, RNN_RECURRENT)
            if cls == "GRU":
                cfg["reset_after"] = bool(rng.random() < 0.7)
            if masked and cfg["return_sequences"] and rng.random() < 0.5:
                cfg["zero_output_for_mask"] = True
            return cfg

        def plain():
            cls = _pick(rng, ["LSTM", "GRU", "SimpleRNN"])
            cfg = rnn_cfg(cls)
            node = {"class": cls, "config": cfg}
            if rng.random() < 0.15:
                cfg["return_state"] = True
                node["n_out"] = 3 if cls == "LSTM" else 2
            return node

        def cell_rnn():
            n = 1 if rng.random() < 0.5 else int(rng.integers(2, 4))
            cells = []
            for _ in range(n):
                cls = _pick(rng, ["LSTMCell", "GRUCell", "SimpleRNNCell"])
                cfg = {"units": int(rng.integers(1, 6)), "activation": _pick(rng, RNN_ACTIVATIONS)}
                if cls != "SimpleRNNCell":
                    cfg["recurrent_activation"] = _pick(rng, RNN_RECURRENT)
                if cls == "GRUCell":
                    cfg["reset_after"] = bool(rng.random() < 0.7)
                cells.append({"class": cls, "config": cfg})
            return {"class": "RNN", "cells": cells, "config": {
                "return_sequences": bool(rng.random() < 0.5), "go_backwards": bool(rng.random() < 0.2)}}

        def bidi():
            inner = plain() if rng.random() < 0.8 else cell_rnn()
            inner.pop("n_out", None)
            inner["config"].pop("return_state", None)
            inner["config"].pop("go_backwards", None)
            mode = _pick(rng, ["concat", "concat", "sum", "mul", "ave", None])
            return {"class": "Bidirectional", "inner": inner, "config": {"merge_mode": mode},
                    "n_out": 2 if mode is None else 1}

        return [("LSTM", plain), ("LSTM", plain), ("RNN", cell_rnn), ("Bidirectional", bidi), ("Bidirectional", bidi)]

    def _rank2(self, shape, t):
        rng = self.rng
        T, f = shape
        c = self._common(shape, t) + self._recurrent(shape, t)

        def conv():
            cls = _pick(rng, ["Conv1D", "Conv1D", "DepthwiseConv1D", "SeparableConv1D", "Conv1DTranspose"])
            strides = int(_pick(rng, [1, 1, 2]))
            dil = 1 if strides > 1 or rng.random() < 0.7 else 2
            pads = ["valid", "same"] + (["causal"] if cls == "Conv1D" else [])
            cfg = {"kernel_size": int(rng.integers(1, 4)), "strides": strides, "padding": _pick(rng, pads),
                   "use_bias": bool(rng.random() < 0.8), "activation": _act(rng)}
            if cls != "Conv1DTranspose":
                cfg["dilation_rate"] = dil
            if cls != "DepthwiseConv1D":
                cfg["filters"] = int(rng.integers(1, 6))
            else:
                cfg["depth_multiplier"] = int(rng.integers(1, 3))
            if cls == "SeparableConv1D":
                cfg["depth_multiplier"] = int(rng.integers(1, 3))
            if cls == "Conv1D" and f % 2 == 0 and rng.random() < 0.2:
                cfg["groups"] = 2
                cfg["filters"] = 2 * int(rng.integers(1, 3))
            if cls == "Conv1DTranspose" and strides > 1 and rng.random() < 0.3:
                cfg["output_padding"] = 1
            return {"class": cls, "config": cfg}

        def pool():
            cls = _pick(rng, ["MaxPooling1D", "AveragePooling1D"])
            return {"class": cls, "config": {"pool_size": int(rng.integers(1, 4)), "strides": _pick(rng, [None, 1, 2]),
                                             "padding": _pick(rng, ["valid", "same"])}}

        c += [
            ("Conv1D", conv), ("Conv1D", conv),
            ("MaxPooling1D", pool),
            ("GlobalAveragePooling1D", lambda: {"class": _pick(rng, ["GlobalAveragePooling1D", "GlobalMaxPooling1D"]),
                                                "config": {"keepdims": bool(rng.random() < 0.2)}}),
            ("UpSampling1D", lambda: {"class": "UpSampling1D", "config": {"size": int(rng.integers(1, 3))}}),
            ("ZeroPadding1D", lambda: {"class": "ZeroPadding1D", "config": {
                "padding": [int(rng.integers(0, 3)), int(rng.integers(0, 3))]}}),
            ("Cropping1D", lambda: {"class": "Cropping1D", "config": {
                "cropping": [int(rng.integers(0, 2)), int(rng.integers(0, 2))]}}),
            ("SpatialDropout1D", lambda: {"class": "SpatialDropout1D", "config": {"rate": 0.2}}),
            ("TimeDistributed", lambda: {"class": "TimeDistributed", "inner": {"class": "Dense", "config": {
                "units": int(rng.integers(1, 6)), "activation": _act(rng)}}}),
            ("Masking", lambda: {"class": "Masking", "config": {"mask_value": 0.0}}),
            ("Attention", lambda: self._attention(shape)),
        ]
        if T is not None:
            c += [
                ("Flatten", lambda: {"class": "Flatten", "config": {}}),
                ("Permute", lambda: {"class": "Permute", "config": {"dims": [2, 1]}}),
                ("Reshape", lambda: {"class": "Reshape", "config": {"target_shape": [T * f]}}),
            ]
        else:   # (-1, ...): T * f / d steps, a whole number for some lengths only when d does not divide f
            def reshape_var():
                d = _pick(rng, [x for x in range(1, 2 * f + 1) if x != f] + [2 * f, 3 * f])
                if d % 2 == 0 and rng.random() < 0.3:
                    return {"class": "Reshape", "config": {"target_shape": [-1, d // 2, 2]}}
                return {"class": "Reshape", "config": {"target_shape": [-1, d]}}
            c.append(("Reshape", reshape_var))
        return c + media.einsum(self, shape) + media.adaptive(self, shape, 1)

    def _attention(self, shape):
        """Self-attention on one tensor (pairs are drawn by ``binary``)."""
        return self._attention_node(shape, shape)

    def _attention_node(self, q_shape, v_shape):
        rng = self.rng
        if q_shape[-1] != v_shape[-1]:   # Keras builds it but fails when run: only MHA projects
            cls = "MultiHeadAttention"
        else:
            cls = _pick(rng, ["Attention", "Attention", "AdditiveAttention", "MultiHeadAttention"])
        call = {}
        if rng.random() < 0.3:
            call["use_causal_mask"] = True
        node = {"class": cls, "config": {}, "call": call}
        if cls == "MultiHeadAttention" and rng.random() < 0.4:
            node = media.gqa_node(rng, call)
        elif cls == "MultiHeadAttention":
            node["config"] = {"num_heads": int(rng.integers(1, 3)), "key_dim": int(rng.integers(1, 4)),
                              "use_bias": bool(rng.random() < 0.8)}
            if rng.random() < 0.3:
                node["config"]["value_dim"] = int(rng.integers(1, 4))
            if node["config"]["num_heads"] > 1 and node["config"]["use_bias"]:
                # Keras 3's TensorFlow backend adds a (heads, 1) bias along the timestep axis when a
                # traced length equals the number of heads (refused for fixed lengths; with variable
                # ones Keras' result depends on the lengths it traced first): sizes of 1 are avoided
                for key in ("key_dim", "value_dim"):
                    if node["config"].get(key) == 1:
                        node["config"][key] = 2
        elif cls == "Attention":
            node["config"] = {"use_scale": bool(rng.random() < 0.5), "score_mode": _pick(rng, ["dot", "concat"])}
        else:
            node["config"] = {"use_scale": bool(rng.random() < 0.5)}
        if rng.random() < 0.2:
            call["return_attention_scores"] = True
            node["n_out"] = 2
        return node

    def _rank3(self, shape, t):
        rng = self.rng
        H, W, C = shape
        c = [x for x in self._common(shape, t) if x[0] in ("Dense", "Activation", "BatchNormalization",
                                                            "LayerNormalization", "Dropout", "Rescaling",
                                                            "GroupNormalization", "RMSNormalization")]
        c += media.image(self, shape) + media.adaptive(self, shape, 2) + media.einsum(self, shape)

        def conv2d():
            cls = _pick(rng, ["Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"])
            strides = int(_pick(rng, [1, 1, 2]))
            cfg = {"kernel_size": int(rng.integers(1, 4)), "strides": strides, "padding": _pick(rng, ["valid", "same"]),
                   "use_bias": bool(rng.random() < 0.8), "activation": _act(rng)}
            if strides == 1 and rng.random() < 0.2:
                cfg["dilation_rate"] = 2
            if cls == "DepthwiseConv2D":
                cfg["depth_multiplier"] = int(rng.integers(1, 3))
            else:
                cfg["filters"] = int(rng.integers(1, 5))
            if cls == "SeparableConv2D":
                cfg["depth_multiplier"] = int(rng.integers(1, 3))
            if cls == "Conv2D" and C % 2 == 0 and rng.random() < 0.2:
                cfg["groups"] = 2
                cfg["filters"] = 2
            return {"class": cls, "config": cfg}

        c += [
            ("Conv2D", conv2d), ("Conv2D", conv2d),
            ("MaxPooling2D", lambda: {"class": _pick(rng, ["MaxPooling2D", "AveragePooling2D"]), "config": {
                "pool_size": int(rng.integers(1, 3)), "strides": _pick(rng, [None, 1]),
                "padding": _pick(rng, ["valid", "same"])}}),
            ("GlobalMaxPooling2D", lambda: {"class": _pick(rng, ["GlobalMaxPooling2D", "GlobalAveragePooling2D"]),
                                            "config": {"keepdims": bool(rng.random() < 0.2)}}),
            ("ZeroPadding2D", lambda: {"class": "ZeroPadding2D", "config": {"padding": int(rng.integers(0, 2))}}),
            ("Cropping2D", lambda: {"class": "Cropping2D", "config": {
                "cropping": [[int(rng.integers(0, 2))] * 2, [0, int(rng.integers(0, 2))]]}}),
            ("UpSampling2D", lambda: {"class": "UpSampling2D", "config": {
                "size": int(rng.integers(1, 3)), "interpolation": _pick(rng, ["nearest", "bilinear"])}}),
            ("ConvLSTM1D", lambda: {"class": "ConvLSTM1D", "config": {
                "filters": int(rng.integers(1, 4)), "kernel_size": int(rng.integers(1, 3)),
                "padding": _pick(rng, ["valid", "same"]), "return_sequences": bool(rng.random() < 0.5),
                "activation": _pick(rng, RNN_ACTIVATIONS), "go_backwards": bool(rng.random() < 0.2)}}),
            ("TimeDistributed", lambda: {"class": "TimeDistributed", "inner": {"class": "Dense", "config": {
                "units": int(rng.integers(1, 5)), "activation": _act(rng)}}}),
        ]
        if H is not None:
            c += [("Flatten", lambda: {"class": "Flatten", "config": {}}),
                  ("Permute", lambda: {"class": "Permute", "config": {"dims": [2, 1, 3]}})]
        c.append(("Reshape", lambda: {"class": "Reshape", "config": {"target_shape": [-1 if H is None else H, W * C]}}))
        return c

    def _rank4(self, shape, t):
        rng = self.rng
        c = [x for x in self._common(shape, t) if x[0] in ("Dense", "Activation", "LayerNormalization",
                                                            "GroupNormalization", "RMSNormalization")]
        c += media.volume(self, shape)
        c += [
            ("ConvLSTM2D", lambda: {"class": "ConvLSTM2D", "config": {
                "filters": int(rng.integers(1, 3)), "kernel_size": int(rng.integers(1, 3)),
                "padding": _pick(rng, ["valid", "same"]), "return_sequences": bool(rng.random() < 0.5),
                "activation": _pick(rng, RNN_ACTIVATIONS)}}),
            ("TimeDistributed", lambda: {"class": "TimeDistributed", "inner": _pick(rng, [
                {"class": "Conv2D", "config": {"filters": int(rng.integers(1, 4)), "kernel_size": 2,
                                               "activation": _act(rng)}},
                {"class": "Conv2D", "config": {"filters": int(rng.integers(1, 9)), "kernel_size": int(rng.integers(1, 4)),
                                               "padding": _pick(rng, ["valid", "same"]), "activation": _act(rng)}},
                {"class": "MaxPooling2D", "config": {"pool_size": 2}},
                {"class": "Flatten", "config": {}},
                {"class": "GlobalAveragePooling2D", "config": {}}])}),
        ]
        return c

    def _rank5(self, shape, t):
        return media.rank5(self, shape, t)

    def binary(self):
        """A merge, Dot or attention over two compatible tensors, or None."""
        rng = self.rng
        names = [n for n, t in self.tensors.items() if not t["tokens"]]
        pairs = []
        for a in names:
            for b in names:
                ta, tb = self.tensors[a], self.tensors[b]
                if a >= b or ta["lens"] != tb["lens"]:
                    continue
                pairs.append((a, b))
        if not pairs:
            return None
        rng.shuffle(pairs)
        for a, b in pairs[:12]:
            sa, sb = self.shape_of(a), self.shape_of(b)
            opts = []
            if sa == sb:
                opts += [{"class": c, "config": {}} for c in ("Add", "Subtract", "Multiply", "Average", "Maximum",
                                                              "Minimum")]
                opts.append({"class": "Concatenate", "config": {"axis": -1}})
            if len(sa) == len(sb) and sa[:-1] == sb[:-1]:
                opts.append({"class": "Concatenate", "config": {"axis": -1}})
            if len(sa) == len(sb) and len(sa) >= 2 and sa[0] is not None and sa[1:] == sb[1:]:
                opts.append({"class": "Concatenate", "config": {"axis": 1}})
            if sa == sb and len(sa) == 1:
                opts.append({"class": "Dot", "config": {"axes": 1, "normalize": bool(rng.random() < 0.4)}})
            if len(sa) == 2 and len(sb) == 2 and sa[0] is not None and sb[0] is not None:
                if sa[0] == sb[0]:
                    opts.append({"class": "Dot", "config": {"axes": 1, "normalize": bool(rng.random() < 0.3)}})
                if sa[1] == sb[1]:
                    opts.append({"class": "Dot", "config": {"axes": 2, "normalize": bool(rng.random() < 0.3)}})
            if len(sa) == 2 and len(sb) == 2:
                opts.append(self._attention_node(sa, sb))
            if not opts:
                continue
            node = opts[int(rng.integers(len(opts)))]
            order = [a, b] if rng.random() < 0.5 else [b, a]
            if node["class"] in ("Attention", "AdditiveAttention", "MultiHeadAttention", "GroupQueryAttention"):
                # query keeps its own time axis; Keras allows a value of another length
                ta, tb = self.tensors[order[0]], self.tensors[order[1]]
                if ta["lens"] is None and tb["lens"] is not None:
                    continue
            if self.try_node(node, order):
                return True
        return False

    def attention_pair(self):
        """Attention between two rank-2 tensors of possibly different lengths."""
        rank2 = [n for n, t in self.tensors.items() if len(t["shape"]) == 2 and not t["tokens"]]
        if len(rank2) < 2:
            return False
        a, b = self.rng.choice(rank2, 2, replace=False)
        node = self._attention_node(self.shape_of(a), self.shape_of(b))
        return self.try_node(node, [str(a), str(b)])

    def nested(self, name):
        """A nested Sequential of 1-3 layers applied to ``name``."""
        rng = self.rng
        t = self.tensors[name]
        if t["tokens"]:
            return False
        sub_layers = []
        kt = t["kt"]
        shape = t["shape"]
        for _ in range(int(rng.integers(1, 4))):
            fake = dict(t, shape=shape)
            self.tensors["_probe"] = fake
            node = self.unary("_probe", functional=False)
            del self.tensors["_probe"]
            if node is None or node["class"] in ("Masking",):
                continue
            try:
                layer = build_layer(self.k, node)
                kt2 = layer(kt)
            except Exception:
                continue
            if isinstance(kt2, (list, tuple)):
                continue
            kt = kt2
            shape = tuple(kt.shape[1:])
            if shape and shape[0] is None and t["lens"] is None:
                break
            sub_layers.append(node)
        if not sub_layers:
            return False
        return self.try_node({"class": "Sequential", "layers": sub_layers, "name": f"sub{self.count}"}, [name])

    def initial_states(self):
        """A recurrent layer whose initial states come from other tensors (pooled and projected)."""
        rng = self.rng
        rank2 = [n for n, t in self.tensors.items() if len(t["shape"]) == 2 and not t["tokens"]]
        if not rank2:
            return False
        name = rank2[int(rng.integers(len(rank2)))]
        cls = _pick(rng, ["LSTM", "GRU", "SimpleRNN"])
        units = int(rng.integers(1, 6))
        n_states = 2 if cls == "LSTM" else 1
        vecs = [n for n, t in self.tensors.items() if len(t["shape"]) == 1 and not t["tokens"]]
        if vecs and rng.random() < 0.5:
            src = vecs[int(rng.integers(len(vecs)))]
        else:
            if not self.try_node({"class": "GlobalAveragePooling1D", "config": {}}, [name]):
                return False
            src = self.nodes[-1]["out"][0]
        states = []
        for _ in range(n_states):
            if not self.try_node({"class": "Dense", "config": {"units": units, "activation": "tanh"}}, [src]):
                return False
            states.append(self.nodes[-1]["out"][0])
        cfg = {"units": units, "return_sequences": bool(rng.random() < 0.5), "go_backwards": bool(rng.random() < 0.2),
               "activation": _pick(rng, RNN_ACTIVATIONS)}
        if cls == "GRU":
            cfg["reset_after"] = bool(rng.random() < 0.7)
        return self.try_node({"class": cls, "config": cfg, "initial_state": True}, [name] + states)

    def share(self):
        """Call an earlier single-input layer again on another tensor of the same shape."""
        cands = [n for n in self.nodes if len(n["in"]) == 1 and len(n["out"]) == 1 and not n.get("share")]
        self.rng.shuffle(cands)
        for node in cands:
            src = self.tensors[node["in"][0]]
            others = [m for m, t in self.tensors.items() if t["shape"] == src["shape"] and m != node["in"][0]
                      and not t["tokens"] and t["lens"] == src["lens"]]
            if not others:
                continue
            other = others[int(self.rng.integers(len(others)))]
            new = {k: v for k, v in node.items() if k not in ("id", "in", "out")}
            new["share"] = node["id"]
            return self.try_node(new, [other], layer=self.layers[node["id"]])
        return False


def generate(seed: int, max_nodes: int = 7) -> dict:
    """The spec of a random model; the same seed gives the same spec."""
    import keras

    gen = _Gen(seed, keras)
    rng = gen.rng
    n_inputs = int(_pick(rng, [1] * 6 + [2] * 3 + [3]))
    for _ in range(n_inputs):
        gen.add_input()
    # every input is used at least once
    for i in range(n_inputs):
        for _ in range(8):
            node = gen.unary(f"x{i}")
            if node is not None and gen.try_node(node, [f"x{i}"]):
                break
    n_steps = int(rng.integers(1, max_nodes))
    for _ in range(n_steps * 3):
        if len(gen.nodes) >= n_steps + n_inputs:
            break
        r = rng.random()
        if r < 0.25:
            gen.binary()
        elif r < 0.30:
            gen.attention_pair()
        elif r < 0.37:
            gen.share()
        elif r < 0.41:
            gen.initial_states()
        else:
            leaves = [n for n, t in gen.tensors.items() if not t["used"]]
            pool = leaves if leaves and rng.random() < 0.75 else list(gen.tensors)
            name = pool[int(rng.integers(len(pool)))]
            if rng.random() < 0.1:
                gen.nested(name)
                continue
            node = gen.unary(name)
            if node is not None:
                gen.try_node(node, [name])
    outputs = [n for n, t in gen.tensors.items() if not t["used"] and not n.startswith("x")]
    if not outputs:
        return generate(seed + 1_000_003, max_nodes)
    outputs = outputs[:4]
    lengths = [L for L in L_RANGE if all(t["lens"] is None or t["lens"][L] is not None
                                         for t in gen.tensors.values())]
    var = any(inp["shape"] and inp["shape"][0] is None for inp in gen.inputs)
    spec = {"version": SPEC_VERSION, "seed": seed, "sequential": False, "inputs": gen.inputs, "nodes": gen.nodes,
            "outputs": outputs, "lengths": lengths if var else []}
    if var and not lengths:
        return generate(seed + 1_000_003, max_nodes)
    chain = (n_inputs == 1 and all(len(n["in"]) == 1 and len(n["out"]) == 1 and not n.get("share")
                                   for n in gen.nodes)
             and all(n["in"][0] == (gen.nodes[i - 1]["out"][0] if i else "x0") for i, n in enumerate(gen.nodes))
             and outputs == [gen.nodes[-1]["out"][0]])
    if chain and rng.random() < 0.5:
        spec["sequential"] = True
    return spec
