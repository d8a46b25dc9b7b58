"""The typed intermediate representation shared by every stage.

The reader produces a :class:`keras2java.reader.RawModel`; the builder turns it
into a :class:`Model` made of :class:`Node` objects, each holding one
:class:`Op`.  Everything here is a frozen dataclass; weights are read-only
float32 numpy arrays.

Shapes never include the batch dimension.  ``None`` marks a dimension whose
size is only known at prediction time (the number of timesteps).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Mapping, Optional, Tuple

import numpy as np

Dim = Optional[int]
Shape = Tuple[Dim, ...]


def format_shape(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


@dataclass(frozen=True, eq=False)
class WeightTensor:
    """One stored weight: its role in the layer, where it came from, its data."""

    role: str
    source: str
    array: np.ndarray

    def __post_init__(self) -> None:
        arr = np.require(self.array, dtype=np.float32, requirements="C")   # keeps scalars 0-d
        if arr is not self.array:
            object.__setattr__(self, "array", arr)
        arr.setflags(write=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.array.shape)

    @property
    def size(self) -> int:
        return int(self.array.size)


@dataclass(frozen=True)
class Activation:
    """An elementwise (or last-axis, for softmax) activation with its parameters.

    ``kind`` is one of :data:`ACTIVATION_KINDS`.  ``hard_sigmoid`` has two
    kinds because Keras changed its definition: ``hard_sigmoid_k2`` is
    ``clip(0.2x+0.5, 0, 1)`` (Keras 1/2, tf-keras) and ``hard_sigmoid_k3`` is
    ``relu6(x+3)/6`` (Keras 3).  ``hard_silu_k3`` is ``x*hard_sigmoid_k3(x)``.
    """

    kind: str
    alpha: float = 0.0          # relu negative slope; elu alpha
    max_value: Optional[float] = None   # relu clip
    threshold: float = 0.0      # relu threshold

    @property
    def is_linear(self) -> bool:
        return self.kind == "linear"

    @property
    def is_last_axis(self) -> bool:
        return self.kind in ("softmax", "log_softmax")

    def describe(self) -> str:
        extras = []
        if self.kind == "relu":
            if self.alpha:
                extras.append(f"negative_slope={self.alpha:g}")
            if self.max_value is not None:
                extras.append(f"max_value={self.max_value:g}")
            if self.threshold:
                extras.append(f"threshold={self.threshold:g}")
        elif self.kind == "elu" and self.alpha != 1.0:
            extras.append(f"alpha={self.alpha:g}")
        return self.kind + (f"({', '.join(extras)})" if extras else "")


ACTIVATION_KINDS = (
    "linear", "relu", "sigmoid", "tanh", "hard_sigmoid_k2", "hard_sigmoid_k3",
    "elu", "selu", "softplus", "softsign", "exponential", "swish", "gelu",
    "gelu_tanh", "hard_silu_k3", "mish", "softmax", "log_softmax",
)

LINEAR = Activation("linear")


class Op:
    """Base class of every operation.  Subclasses are frozen dataclasses."""

    #: short human-readable kind used by ``inspect`` and generated comments
    kind: str = "op"

    def weights(self) -> tuple[WeightTensor, ...]:
        out = []
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, WeightTensor):
                out.append(v)
            elif isinstance(v, Op):
                out.extend(v.weights())
        return tuple(out)

    def param_count(self) -> int:
        return sum(w.size for w in self.weights())

    def activations(self) -> tuple[Activation, ...]:
        return tuple(getattr(self, f.name) for f in fields(self)  # type: ignore[arg-type]
                     if isinstance(getattr(self, f.name), Activation))


@dataclass(frozen=True)
class IdentityOp(Op):
    """Layers that do nothing at inference (Dropout, GaussianNoise, ...)."""

    kind = "identity"


@dataclass(frozen=True)
class ActivationOp(Op):
    activation: Activation
    kind = "activation"


@dataclass(frozen=True)
class DenseOp(Op):
    """``y = act(x . kernel + bias)`` on the last axis of an input of any rank."""

    units: int
    activation: Activation
    kernel: WeightTensor            # (in, units)
    bias: Optional[WeightTensor]    # (units,)
    kind = "dense"


@dataclass(frozen=True)
class LstmOp(Op):
    """Keras LSTM; fused weights with gate order i, f, c, o."""

    units: int
    activation: Activation
    recurrent_activation: Activation
    return_sequences: bool
    go_backwards: bool
    kernel: WeightTensor            # (in, 4u)
    recurrent_kernel: WeightTensor  # (u, 4u)
    bias: Optional[WeightTensor]    # (4u,)
    return_state: bool = False      # extra outputs h, c (final states)
    stateful: bool = False          # states persist across calls, per instance
    zero_output_for_mask: bool = False
    masked: bool = False            # the node's last input is a per-timestep mask
    initial_state: bool = False     # inputs 1..2 are the initial h, c
    kind = "lstm"

    @property
    def state_count(self) -> int:
        return 2


@dataclass(frozen=True)
class GruOp(Op):
    """Keras GRU; fused weights with gate order z, r, h.

    ``reset_after=True`` (Keras 3 / tf-keras default): bias ``(2, 3u)``, row 0
    the input bias and row 1 the recurrent bias; the reset gate multiplies
    ``h . R_h + b_rec_h``.  ``reset_after=False`` (Keras <= 2.2 default): bias
    ``(3u,)`` and the reset gate multiplies ``h`` before ``R_h``.
    """

    units: int
    activation: Activation
    recurrent_activation: Activation
    reset_after: bool
    return_sequences: bool
    go_backwards: bool
    kernel: WeightTensor            # (in, 3u)
    recurrent_kernel: WeightTensor  # (u, 3u)
    bias: Optional[WeightTensor]    # (2, 3u) if reset_after else (3u,)
    return_state: bool = False
    stateful: bool = False
    zero_output_for_mask: bool = False
    masked: bool = False
    initial_state: bool = False
    kind = "gru"

    @property
    def state_count(self) -> int:
        return 1


@dataclass(frozen=True)
class SimpleRnnOp(Op):
    """Keras SimpleRNN: ``h = act(x . kernel + bias + h . recurrent_kernel)``."""

    units: int
    activation: Activation
    return_sequences: bool
    go_backwards: bool
    kernel: WeightTensor            # (in, u)
    recurrent_kernel: WeightTensor  # (u, u)
    bias: Optional[WeightTensor]    # (u,)
    return_state: bool = False
    stateful: bool = False
    zero_output_for_mask: bool = False
    masked: bool = False
    initial_state: bool = False
    kind = "simple_rnn"

    @property
    def state_count(self) -> int:
        return 1


#: Ops driven by the shared recurrent runtime (``Recurrent`` + a cell).
RECURRENT_OPS = (LstmOp, GruOp, SimpleRnnOp)


@dataclass(frozen=True)
class BidirectionalOp(Op):
    """Keras Bidirectional over two recurrent ops.

    Inputs: x, then (with ``initial_state``) the forward then the backward
    initial states, then (with ``masked``) the mask.  Outputs: the merged
    output (two outputs, forward then flipped backward, when ``merge_mode``
    is None), then with ``return_state`` the forward then the backward states.
    """

    forward: Op
    backward: Op
    merge_mode: Optional[str]       # "concat", "sum", "mul", "ave" or None
    return_sequences: bool
    return_state: bool = False
    stateful: bool = False
    masked: bool = False
    initial_state: bool = False
    kind = "bidirectional"

    @property
    def state_count(self) -> int:
        return self.forward.state_count + self.backward.state_count  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EmbeddingOp(Op):
    """Keras Embedding: token ids (floats, truncated like Keras' cast) select rows."""

    input_dim: int
    output_dim: int
    embeddings: WeightTensor        # (input_dim, output_dim)
    mask_zero: bool
    kind = "embedding"


@dataclass(frozen=True)
class ComputeMaskOp(Op):
    """A per-timestep mask (shape ``(T,)``, 1 = keep) computed from a tensor.

    ``mode`` is ``"not_equal"`` (Keras Masking: any feature != ``value``) or
    ``"nonzero"`` (Embedding mask_zero: token id != 0).
    """

    mode: str
    value: float = 0.0
    kind = "compute_mask"


@dataclass(frozen=True)
class MaskingOp(Op):
    """Keras Masking's output: inputs (x, mask) -> x * mask per timestep."""

    mask_value: float
    kind = "masking"


@dataclass(frozen=True)
class TensorSpec:
    """A value flowing between nodes.  ``name`` is an internal identifier."""

    name: str
    shape: Shape


@dataclass(frozen=True)
class Node:
    """One application of a layer: an op with its input and output tensors."""

    layer_name: str      # the Keras layer name, used only in messages
    class_name: str      # the Keras class name
    op: Op
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class ModelPort:
    """A model input or output: the tensor and the Keras name it came from."""

    tensor: str
    keras_name: str


@dataclass(frozen=True)
class SourceInfo:
    path: str
    sha256: str
    format: str          # "keras-v3-zip", "legacy-h5", ...
    keras_version: str   # as written in the file, "" if unknown
    keras_major: int     # 1, 2 or 3: selects version-dependent semantics
    #: Legacy layouts: (layer name, "stored tensor (shape) -> gate and role") lines for ``inspect``.
    weight_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Model:
    name: str
    source: SourceInfo
    inputs: tuple[ModelPort, ...]
    outputs: tuple[ModelPort, ...]
    tensors: tuple[TensorSpec, ...]
    nodes: tuple[Node, ...]
    _index: Mapping[str, TensorSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", MappingProxyType({t.name: t for t in self.tensors}))

    def tensor(self, name: str) -> TensorSpec:
        return self._index[name]

    def param_count(self) -> int:
        return sum(w.size for w in self.unique_weights())

    def unique_weights(self) -> tuple[WeightTensor, ...]:
        """Every distinct weight tensor once, in node order (shared layers once)."""
        seen: set[int] = set()
        out = []
        for node in self.nodes:
            for w in node.op.weights():
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return tuple(out)


@dataclass(frozen=True)
class ConcatenateOp(Op):
    """Keras Concatenate along ``axis`` (an index into the shape without batch)."""

    axis: int
    kind = "concatenate"


MERGE_MODES = ("add", "subtract", "multiply", "average", "maximum", "minimum")


@dataclass(frozen=True)
class MergeOp(Op):
    """Elementwise merge of same-shaped inputs: Add, Subtract, Multiply, Average, Maximum, Minimum."""

    mode: str
    kind = "merge"


# -- convolution, pooling, normalization and shape layers (issue 5) ----------

CONV_PADDINGS = ("valid", "same", "causal")


@dataclass(frozen=True)
class Conv1DOp(Op):
    """Keras Conv1D / DepthwiseConv1D / SeparableConv1D on ``(steps, channels)``.

    ``kernel`` is ``(kernel_size, in_channels // groups, out)`` as Keras stores
    Conv1D kernels; a DepthwiseConv1D becomes a grouped convolution with
    ``groups = in_channels`` (output channel ``c * multiplier + m``, as
    TensorFlow orders them).  ``pointwise`` (SeparableConv1D only) is the
    ``(in * multiplier, filters)`` matrix applied after the depthwise step;
    the bias and the activation come last.
    """

    filters: int                # output channels of the (depthwise) convolution
    kernel_size: int
    strides: int
    dilation: int
    padding: str                # "valid", "same" or "causal"
    groups: int
    activation: Activation
    kernel: WeightTensor
    bias: Optional[WeightTensor]
    pointwise: Optional[WeightTensor] = None
    kind = "conv1d"

    @property
    def out_channels(self) -> int:
        return int(self.pointwise.shape[1]) if self.pointwise is not None else self.filters


@dataclass(frozen=True)
class Pool1DOp(Op):
    """MaxPooling1D / AveragePooling1D (average excludes padding, as TensorFlow does)."""

    mode: str                   # "max" or "avg"
    pool_size: int
    strides: int
    padding: str                # "valid" or "same"
    kind = "pool1d"


@dataclass(frozen=True)
class GlobalPool1DOp(Op):
    """GlobalMaxPooling1D / GlobalAveragePooling1D over the time axis.

    With ``masked`` the node's last input is the Keras mask and the average
    counts only unmasked steps (Keras: ``sum(where(mask, x, 0)) / sum(mask)``).
    """

    mode: str                   # "max" or "avg"
    keepdims: bool
    masked: bool = False
    kind = "global_pool1d"


@dataclass(frozen=True)
class ScaleShiftOp(Op):
    """``y = x * scale[c] + shift[c]`` with ``c`` the index along ``axis``.

    BatchNormalization at inference: ``scale = gamma * rsqrt(var + eps)`` and
    ``shift = beta - mean * scale``, computed in float32 exactly as
    ``tf.nn.batch_normalization`` does.
    """

    axis: int                   # index into the shape without batch
    scale: WeightTensor
    shift: WeightTensor
    kind = "batch_norm"


@dataclass(frozen=True)
class NormalizeOp(Op):
    """LayerNormalization (``mode="layer"`` or ``"rms"``) or UnitNormalization
    (``mode="unit"``) over the trailing ``axes`` axes."""

    mode: str
    axes: int                   # how many trailing axes are normalized together
    epsilon: float
    gamma: Optional[WeightTensor] = None
    beta: Optional[WeightTensor] = None
    kind = "normalize"


@dataclass(frozen=True)
class ReshapeOp(Op):
    """Flatten / Reshape: the row-major data is unchanged, only the shape."""

    kind = "reshape"


@dataclass(frozen=True)
class PermuteOp(Op):
    """Keras Permute: ``dims`` are 0-based axes of the shape without batch."""

    dims: Tuple[int, ...]
    kind = "permute"


@dataclass(frozen=True)
class TimeResampleOp(Op):
    """Ops that change only the time axis of ``(steps, features)``:
    RepeatVector (``mode="repeat"``, input ``(features,)``), UpSampling1D
    (``"upsample"``), ZeroPadding1D (``"pad"``) and Cropping1D (``"crop"``)."""

    mode: str
    size: int = 1               # repeat count / upsampling factor
    before: int = 0             # pad or crop at the start
    after: int = 0              # pad or crop at the end
    kind = "resample"


@dataclass(frozen=True)
class DotOp(Op):
    """Keras Dot of two inputs of rank 1 or 2 (without batch), contracting
    ``axes[0]`` of the first with ``axes[1]`` of the second.  With
    ``normalize`` both are first L2-normalized along those axes as
    ``x * min(rsqrt(sum(x^2)), inv_cap)`` (Keras 3: ``1/epsilon = 1e7``;
    tf-keras' ``l2_normalize``: ``rsqrt(max(sum, 1e-12))``, a cap of 1e6)."""

    axes: Tuple[int, int]
    normalize: bool
    inv_cap: float = 1e7
    kind = "dot"


@dataclass(frozen=True)
class AttentionOp(Op):
    """Keras Attention (``score_mode`` "dot" or "concat") and AdditiveAttention
    ("additive") on inputs (query, value[, key]) of shapes (Tq, d), (Tv, dv),
    (Tv, d).  Scores are ``softmax`` over Tv after ``use_causal_mask`` (masked
    scores lowered by 1e9, as Keras does); output 0 is ``weights . value``,
    output 1 (``return_scores``) the weights."""

    score_mode: str
    causal: bool
    return_scores: bool
    scale: Optional[WeightTensor] = None         # () for Attention, (d,) for AdditiveAttention
    concat_weight: Optional[WeightTensor] = None  # () for score_mode="concat"
    kind = "attention"


@dataclass(frozen=True)
class MultiHeadAttentionOp(Op):
    """Keras MultiHeadAttention over (query, value[, key]) sequences, attention
    over the time axis: per head, ``softmax(q k^T / sqrt(key_dim))`` (causal:
    key step j <= query step i) applied to v, then the output projection.
    Kernels are stored flattened: query/key ``(d_in, heads*key_dim)``, value
    ``(d_in, heads*value_dim)``, output ``(heads*value_dim, d_out)``."""

    num_heads: int
    key_dim: int
    value_dim: int
    causal: bool
    return_scores: bool
    query_kernel: WeightTensor
    key_kernel: WeightTensor
    value_kernel: WeightTensor
    output_kernel: WeightTensor
    query_bias: Optional[WeightTensor] = None
    key_bias: Optional[WeightTensor] = None
    value_bias: Optional[WeightTensor] = None
    output_bias: Optional[WeightTensor] = None
    kind = "multi_head_attention"
