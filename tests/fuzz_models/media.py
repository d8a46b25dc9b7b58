"""Layer candidates for images, volumes and the newer Keras 3 layers (used by ``generator``).

Each function takes the generator (for its ``rng``), a tensor's shape (without the batch
axis; ``None`` only on the first axis) and returns ``(name, maker)`` pairs as the
generator's own rank tables do; a maker returns a node spec or ``None``.

* image preprocessing layers run only on fixed-size images (Keras needs the size; the
  Random* layers are identity at inference, ``RandomCrop``/``Resizing``/``CenterCrop`` resize
  or crop, ``AutoContrast`` is active at inference);
* the 3-D family on rank-4 tensors (a volume, or a sequence of frames), ConvLSTM3D on rank 5;
* adaptive pooling, GroupNormalization, RMSNormalization and EinsumDense on every rank they
  take; GroupQueryAttention is drawn with the other attention layers (``attention_node``).
"""
from __future__ import annotations

#: Image augmentation layers that are the identity at inference (Keras 3 names; those that
#: tf-keras also has are built again with tf_keras, the others are skipped for tf-keras files).
IDENTITY_IMAGE = {
    "RandomFlip": lambda r: {"mode": _pick(r, ["horizontal", "vertical", "horizontal_and_vertical"])},
    "RandomZoom": lambda r: {"height_factor": 0.2, "width_factor": _pick(r, [None, 0.3])},
    "RandomRotation": lambda r: {"factor": 0.1},
    "RandomTranslation": lambda r: {"height_factor": 0.1, "width_factor": 0.2},
    "RandomContrast": lambda r: {"factor": 0.2},
    "RandomBrightness": lambda r: {"factor": 0.2, "value_range": [-1, 1]},
    "RandomHue": lambda r: {"factor": 0.2, "value_range": [0, 1]},
    "RandomSaturation": lambda r: {"factor": 0.2, "value_range": [0, 1]},
    "RandomSharpness": lambda r: {"factor": 0.2, "value_range": [0, 1]},
    "RandomGrayscale": lambda r: {"factor": 0.5},
    "RandomShear": lambda r: {"x_factor": 0.1, "y_factor": 0.1},
    "RandomPerspective": lambda r: {"factor": 0.5},
    "RandomColorJitter": lambda r: {"value_range": [0, 1], "brightness_factor": 0.1, "contrast_factor": 0.1},
    "RandomColorDegeneration": lambda r: {"factor": 0.5},
    "RandomInvert": lambda r: {"factor": 0.5, "value_range": [0, 1]},
    "RandomPosterization": lambda r: {"factor": [1, 8], "value_range": [0, 1]},
    "RandomErasing": lambda r: {"factor": 0.5, "value_range": [0, 1]},
    "RandomGaussianBlur": lambda r: {"factor": 0.5, "value_range": [0, 1]},
    "RandomElasticTransform": lambda r: {"factor": 0.5, "value_range": [0, 1]},
    "AugMix": lambda r: {"value_range": [0, 1]},
    "CutMix": lambda r: {"factor": 0.5},
    "MixUp": lambda r: {"alpha": 0.2},
    "RandAugment": lambda r: {"value_range": [0, 1]},
    "Solarization": lambda r: {"addition_factor": 0.1, "value_range": [0, 1]},
    "SpatialDropout2D": lambda r: {"rate": 0.2},
}

#: Those Keras builds only on 3 channels.
RGB_ONLY = {"RandomColorDegeneration"}

#: EinsumDense equations by input rank: (equation, output shape from (shape, n), bias_axes choices,
#: whether a variable first axis is allowed (only a plain Dense on the last axis is converted)).
EINSUM = {
    1: [("ab,bc->ac", lambda s, n: [n], [None, "c"], False)],
    2: [("abc,cd->abd", lambda s, n: [s[0], n], [None, "d", "bd", "b"], True),
        ("abc,cde->abde", lambda s, n: [s[0], 2, n], ["de", "e", "d"], False),
        ("abc,cd->adb", lambda s, n: [n, s[0]], ["d", "db"], False),
        ("acb,cd->abd", lambda s, n: [s[1], n], ["d", None], False),
        ("abc,dce->abed", lambda s, n: [s[0], n, 2], ["ed", "d"], False),
        ("...b,bc->...c", lambda s, n: [n], ["c", None], True)],
    3: [("abcd,cde->abe", lambda s, n: [s[0], n], ["e", None], False),
        ("abcd,de->abce", lambda s, n: [s[0], s[1], n], ["ce", "e"], False)],
}


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _act(rng) -> str:
    return _pick(rng, ["linear", "relu", "tanh", "sigmoid", "gelu", "swish", "elu"])


def norms(gen, shape):
    """GroupNormalization and RMSNormalization over the last axis (or, for RMS, another fixed one)."""
    rng = gen.rng
    f = shape[-1]
    c = []
    if f is not None:
        def group():
            groups = _pick(rng, [g for g in range(1, f + 1) if f % g == 0] + [-1])
            return {"class": "GroupNormalization", "config": {
                "groups": int(groups), "axis": -1, "epsilon": float(_pick(rng, [1e-3, 1e-5])),
                "center": bool(rng.random() < 0.8), "scale": bool(rng.random() < 0.8)}}
        c.append(("GroupNormalization", group))

    def rms():
        axes = [-1]
        if len(shape) >= 2 and shape[0] is not None and rng.random() < 0.3:
            axes = [-2, -1]   # trailing axes: the scale broadcasts over them (any other axis fails in Keras)
        return {"class": "RMSNormalization", "config": {"axis": axes if len(axes) > 1 else axes[0],
                                                         "epsilon": float(_pick(rng, [1e-6, 1e-3]))}}
    c.append(("RMSNormalization", rms))
    return c


def einsum(gen, shape):
    rng = gen.rng
    rank = len(shape)
    forms = [f for f in EINSUM.get(rank, []) if shape[0] is not None or f[3]]
    if not forms:
        return []

    def make():
        equation, out, biases, _ = _pick(rng, forms)
        n = int(rng.integers(1, 5))
        cfg = {"equation": equation, "output_shape": out(shape, n), "activation": _act(rng)}
        bias = _pick(rng, biases)
        if bias:
            cfg["bias_axes"] = bias
        return {"class": "EinsumDense", "config": cfg}
    return [("EinsumDense", make)]


def adaptive(gen, shape, dims: int):
    """AdaptiveAverage/MaxPooling{dims}D on a fixed-size input of rank dims + 1."""
    rng = gen.rng
    if shape[0] is None:
        return []

    def make(cls):
        size = [int(rng.integers(1, d + 2)) for d in shape[:dims]]
        return {"class": cls, "config": {"output_size": size[0] if dims == 1 or rng.random() < 0.3 else size}}
    return [(cls, lambda cls=cls: make(cls)) for cls in (f"AdaptiveAveragePooling{dims}D", f"AdaptiveMaxPooling{dims}D")]


def image(gen, shape):
    """Image preprocessing layers on a fixed-size (H, W, C) image."""
    rng = gen.rng
    H, W, C = shape
    if H is None:
        return []

    def resizing():
        cfg = {"height": int(rng.integers(2, 9)), "width": int(rng.integers(2, 9)),
               "interpolation": _pick(rng, ["bilinear", "nearest"])}
        r = rng.random()
        if r < 0.25:
            cfg["crop_to_aspect_ratio"] = True
        elif r < 0.4:
            cfg["pad_to_aspect_ratio"] = True
            cfg["fill_value"] = float(_pick(rng, [0.0, 0.5]))
        if rng.random() < 0.2:
            cfg["antialias"] = True
        return {"class": "Resizing", "config": cfg}

    def center_crop():
        return {"class": "CenterCrop", "config": {"height": int(rng.integers(1, H + 3)),
                                                  "width": int(rng.integers(1, W + 3))}}

    def random_crop():   # Keras 3 returns its input at inference: the same size converts, others are refused
        same = rng.random() < 0.8
        return {"class": "RandomCrop", "config": {"height": H if same else int(rng.integers(1, H + 1)),
                                                  "width": W if same else int(rng.integers(1, W + 1))}}

    def identity():   # alone, or an augmentation pipeline as models hold them: a nested Sequential
        names = sorted(n for n in IDENTITY_IMAGE if C == 3 or n not in RGB_ONLY)
        chosen = [names[int(i)] for i in rng.permutation(len(names))[:int(rng.integers(1, 13))]]
        if C == 3 and rng.random() < 0.4:   # RGB images are fewer: their own layers come first more often
            chosen = sorted(RGB_ONLY) + [n for n in chosen if n not in RGB_ONLY]
        layers = [{"class": cls, "config": IDENTITY_IMAGE[cls](rng)} for cls in chosen]
        if len(layers) == 1:
            return layers[0]
        return {"class": "Sequential", "name": f"augment{gen.count}", "layers": layers}

    def auto_contrast():
        return {"class": "AutoContrast", "config": {"value_range": _pick(rng, [[-1, 1], [0, 1], [-2, 2]])}}

    return [("Resizing", resizing), ("CenterCrop", center_crop), ("RandomCrop", random_crop),
            ("RandomFlip", identity), ("RandomFlip", identity), ("RandomFlip", identity),
            ("AutoContrast", auto_contrast)]


def volume(gen, shape):
    """The 3-D family on a rank-4 (D, H, W, C) tensor (a volume, or frames of an image)."""
    rng = gen.rng

    def conv3d():
        cls = _pick(rng, ["Conv3D", "Conv3D", "Conv3DTranspose"])
        strides = int(_pick(rng, [1, 1, 2]))
        cfg = {"filters": int(rng.integers(1, 4)), "kernel_size": int(rng.integers(1, 3)), "strides": strides,
               "padding": _pick(rng, ["valid", "same"]), "use_bias": bool(rng.random() < 0.8),
               "activation": _act(rng)}
        if cls == "Conv3D" and strides == 1 and rng.random() < 0.15:
            cfg["dilation_rate"] = 2   # (Keras' Conv3DTranspose cannot run dilated)
        if cls == "Conv3D" and shape[-1] % 2 == 0 and rng.random() < 0.2:
            cfg["groups"] = 2
            cfg["filters"] = 2
        if cls == "Conv3DTranspose" and strides > 1 and rng.random() < 0.3:
            cfg["output_padding"] = 1
        return {"class": cls, "config": cfg}

    def pool(cls):
        return {"class": cls, "config": {
            "pool_size": int(rng.integers(1, 3)), "strides": _pick(rng, [None, 1]),
            "padding": _pick(rng, ["valid", "same"])}}

    c = [
        ("Conv3D", conv3d), ("Conv3D", conv3d), ("MaxPooling3D", lambda: pool("MaxPooling3D")),
        ("AveragePooling3D", lambda: pool("AveragePooling3D")),
        ("GlobalMaxPooling3D", lambda: {"class": "GlobalMaxPooling3D", "config": {"keepdims": bool(rng.random() < 0.2)}}),
        ("GlobalAveragePooling3D", lambda: {"class": "GlobalAveragePooling3D",
                                            "config": {"keepdims": bool(rng.random() < 0.2)}}),
        ("ZeroPadding3D", lambda: {"class": "ZeroPadding3D", "config": {"padding": _pick(rng, [
            1, [0, 1, 1], [[0, 1], [1, 0], [0, 0]]])}}),
        ("Cropping3D", lambda: {"class": "Cropping3D", "config": {"cropping": _pick(rng, [
            [0, 1, 0], [[0, 0], [1, 0], [0, 1]], [[1, 0], [0, 0], [0, 0]]])}}),
        ("UpSampling3D", lambda: {"class": "UpSampling3D", "config": {"size": _pick(rng, [2, [1, 2, 1], [2, 1, 1]])}}),
        ("SpatialDropout3D", lambda: {"class": "SpatialDropout3D", "config": {"rate": 0.2}}),
    ]
    return c + adaptive(gen, shape, 3)


def rank5(gen, shape, t):
    """A sequence of volumes: ConvLSTM3D, or per-element layers."""
    rng = gen.rng
    return [
        ("ConvLSTM3D", lambda: {"class": "ConvLSTM3D", "config": {
            "filters": int(rng.integers(1, 3)), "kernel_size": int(rng.integers(1, 3)),
            "padding": _pick(rng, ["valid", "same"]), "return_sequences": bool(rng.random() < 0.5),
            "activation": _pick(rng, ["tanh", "tanh", "sigmoid", "relu"]), "go_backwards": bool(rng.random() < 0.2)}}),
        ("ConvLSTM3D", lambda: {"class": "ConvLSTM3D", "config": {
            "filters": int(rng.integers(1, 3)), "kernel_size": 1, "return_sequences": True}}),
        ("Dense", lambda: {"class": "Dense", "config": {"units": int(rng.integers(1, 4)), "activation": _act(rng)}}),
        ("TimeDistributed", lambda: {"class": "TimeDistributed", "inner": _pick(rng, [
            {"class": "GlobalAveragePooling3D", "config": {}},
            {"class": "Conv3D", "config": {"filters": int(rng.integers(1, 3)), "kernel_size": 1}}])}),
    ]


def gqa_node(rng, call: dict) -> dict:
    """A GroupQueryAttention node (Keras 3 only; tf-keras files of it are skipped)."""
    kv = int(rng.integers(1, 3))
    cfg = {"head_dim": int(rng.integers(1, 4)), "num_query_heads": kv * int(rng.integers(1, 3)),
           "num_key_value_heads": kv, "use_bias": bool(rng.random() < 0.8), "use_gate": bool(rng.random() < 0.3)}
    if cfg["num_query_heads"] > 1 and cfg["use_bias"] and cfg["head_dim"] == 1:
        cfg["head_dim"] = 2   # the TensorFlow backend's channels-first bias add (see MultiHeadAttention)
    return {"class": "GroupQueryAttention", "config": cfg, "call": call}
