"""Text preprocessing: TextVectorization and StringLookup on string inputs (Hashing, which
shares the text op, is in :mod:`.hashing`).

These layers read a model input of dtype string (``keras.Input(shape=(1,),
dtype="string")``) and produce floats: token ids, or vectors over the
vocabulary.  They compile to the runtime class ``TextVectorizer``, which works
on the UTF-8 bytes of a Java string exactly as TensorFlow does (ASCII-only
lowercasing and punctuation, ASCII whitespace, FarmHash / SipHash buckets).

The vocabulary comes from the layer's config (``vocabulary=[...]``, tf-keras
``.h5`` and Keras 3) or from the ``.keras`` archive's assets
(``assets/layers/<layer>/vocabulary.txt``), read the way Keras' own
``load_assets`` reads it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Optional

import numpy as np

from ..ir import WeightTensor
from ..reader.raw import RawLayer
from .base import ConfigDtype, ConversionProblem, MaskRule, Op, converter, register_op
from .context import Converted, LayerContext
from .view import CallView, Const, Ints, Label, Long, New, Strings, Var, ViewContext, comment

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation", None)
SPLITS = {None: "SPLIT_NONE", "whitespace": "SPLIT_WHITESPACE", "character": "SPLIT_CHARACTER"}
MODES = {"int": "INT", "one_hot": "ONE_HOT", "multi_hot": "MULTI_HOT", "count": "COUNT", "tf_idf": "TF_IDF",
         "hash": "HASH", "hash_one_hot": "HASH_ONE_HOT", "hash_multi_hot": "HASH_MULTI_HOT", "hash_count": "HASH_COUNT"}
#: Keras classes that read string tensors (their dtype is "string"/"int64", not a float policy).
STRING_CLASSES = ("TextVectorization", "StringLookup", "Hashing")
#: Characters per Java string literal chunk of the packed vocabulary (far below the class file's limit).
CHUNK = 8000
_PUNCT = frozenset(b'!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\'')
_SPACE = frozenset(b" \t\n\v\f\r")


def takes_strings(class_name: str) -> bool:
    return class_name in STRING_CLASSES


def _dtype(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) or hasattr(value, "get"):
        cfg = value.get("config")
        if cfg is not None and isinstance(cfg.get("name"), str):
            return cfg["name"]
    return None


def string_input(layer: RawLayer) -> bool:
    """True for ``InputLayer(dtype="string")``."""
    return _dtype(layer.config.get("dtype")) == "string"


def string_input_shape(layer: RawLayer) -> tuple:
    shape = layer.config.get("batch_shape", layer.config.get("batch_input_shape"))
    if not isinstance(shape, (list, tuple)) or not shape:
        raise ConversionProblem("string InputLayer has no batch_shape")
    dims = tuple(shape[1:])
    if dims not in ((), (1,)):
        raise ConversionProblem(f"string input shape {list(shape)!r} is not supported; "
                                "only one text per sample: shape=(1,) or shape=()")
    return dims


def string_mismatch(layer: RawLayer, spec, dtypes: list) -> Optional[str]:
    """Why a layer cannot take these input dtypes, or None."""
    strings = takes_strings(layer.class_name)
    if layer.class_name == "StringLookup" and layer.config.get("invert"):
        return ("StringLookup(invert=True) reads token ids, not a string input" if "string" in dtypes else None)
    if layer.class_name == "Hashing" and dtypes and dtypes[0] != "string":
        return None   # Hashing of numbers: an op of the float graph
    if strings and (len(dtypes) != 1 or dtypes[0] != "string"):
        return (f"{layer.class_name} is supported on a string model input only "
                "(keras.Input(shape=(1,), dtype='string') feeding it directly)")
    if not strings and "string" in dtypes:
        return (f"receives a string tensor; only {', '.join(STRING_CLASSES)} can read the text input")
    return None


# -- the op --------------------------------------------------------------------------------


@register_op
@dataclass(frozen=True)
class TextOp(Op):
    """A string -> floats lookup: standardize, split, n-grams, vocabulary lookup (or hash), encode."""

    layer_class: str              # TextVectorization, StringLookup or Hashing (for inspect)
    lower: bool
    strip: bool
    split: Optional[str]          # None, "whitespace", "character"
    ngrams: Optional[tuple[int, ...]]
    vocab: tuple[str, ...]        # tokens without the mask and OOV tokens
    token_start: int              # id of vocab[0]
    num_oov: int                  # OOV buckets (Hashing: the hash bins)
    oov_start: int                # id of the first OOV bucket
    mask_token: Optional[str]
    salt: Optional[tuple[int, int]]   # SipHash key; None: FarmHash Fingerprint64
    mode: str                     # a key of MODES
    length: Optional[int]         # output length; None: as many ids as tokens (int mode)
    idf: Optional[WeightTensor]
    kind: ClassVar[str] = "text"
    runtime: ClassVar[tuple[str, ...]] = ("TextVectorizer", "StringHash")
    #: reads a string model input; the generated code tokenizes it before the float graph
    takes_strings: ClassVar[bool] = True

    def describe_weights(self) -> list[str]:
        std = ("lower" if self.lower else "") + ("+strip_punctuation" if self.strip else "")
        lines = [f"standardize={std.strip('+') or None}, split={self.split}, ngrams={self.ngrams}, "
                 f"output_mode={self.mode}, output length={self.length if self.length is not None else 'tokens'}",
                 f"vocabulary: {len(self.vocab)} tokens from id {self.token_start}, "
                 f"{self.num_oov} OOV/hash bucket(s) from id {self.oov_start}, mask_token={self.mask_token!r}, "
                 f"hash={'SipHash salt ' + str(list(self.salt)) if self.salt else 'FarmHash Fingerprint64'}"]
        if self.idf is not None:
            lines.append(f"{self.idf.source} {self.idf.shape} -> idf_weights")
        return lines

    def reference_problem(self) -> Optional[str]:
        return "string inputs: the numpy reference and golden vectors take float inputs only"

    # -- a plain Python tokenizer (the reference of TextVectorizer.java) --------------------
    def token_ids(self, text: str) -> list[int]:
        data = text.encode("utf-8", "replace")     # as Java's encoder: unpaired surrogates -> '?'
        if self.lower:
            data = bytes(c + 32 if 65 <= c <= 90 else c for c in data)
        if self.strip:
            data = bytes(c for c in data if c not in _PUNCT)
        if self.split == "whitespace":
            tokens = [t for t in re.split(rb"[ \t\n\v\f\r]+", data) if t]
        elif self.split == "character":
            tokens = [ch.encode("utf-8") for ch in data.decode("utf-8")]
        else:
            tokens = [data]
        if self.ngrams:
            tokens = [b" ".join(tokens[i:i + w]) for w in self.ngrams for i in range(len(tokens) - w + 1)]
        index = {t.encode("utf-8"): i for i, t in enumerate(self.vocab)}
        mask = self.mask_token.encode("utf-8") if self.mask_token is not None else None
        out = []
        for t in tokens:
            if mask is not None and t == mask:
                if self.mode == "int" or self.mode.startswith("hash"):
                    out.append(0)
                continue
            hashing = self.mode.startswith("hash")
            if hashing or t not in index:
                if not hashing and self.num_oov <= 1:
                    if self.num_oov == 0:
                        raise ValueError("token not in the vocabulary")
                    out.append(self.oov_start)
                    continue
                out.append(self.oov_start + _bucket(t, self.num_oov, self.salt))
            else:
                out.append(self.token_start + index[t])
        return out

    def evaluate(self, inputs):
        text = inputs[0].reshape(-1)[0]
        text = text.decode("utf-8") if isinstance(text, bytes) else str(text)
        ids = self.token_ids(text)
        if self.mode in ("int", "hash"):
            n = self.length if self.length is not None else len(ids)
            out = np.zeros(n, np.float32)
            m = min(n, len(ids))
            out[:m] = ids[:m]
            return [out]
        out = np.zeros(self.length, np.float32)
        for i in ids:
            out[i] = 1 if self.mode.endswith("one_hot") or self.mode.endswith("multi_hot") else out[i] + 1
        if self.mode == "tf_idf":
            out = out * np.asarray(self.idf.array, np.float32)
        return [out]

    def view(self, node, ctx: ViewContext) -> CallView:
        """The tokenizer object; the generated ``predict(String)`` calls ``encode`` on it."""
        chunks = _pack(self.vocab)
        salt = self.salt or (0, 0)
        init = New("TextVectorizer", (
            self.lower, self.strip, Const("TextVectorizer", SPLITS[self.split]), Ints(self.ngrams) if self.ngrams else None,
            Strings(tuple(chunks)), self.token_start, self.num_oov, self.oov_start, self.mask_token,
            self.salt is not None, Long(salt[0]), Long(salt[1]), Const("TextVectorizer", MODES[self.mode]),
            -1 if self.length is None else self.length, Var("data"), ctx.offset(self.idf)))
        return CallView(ctx.field, comment(node), (), "encode", (), cls="TextVectorizer", init=init)


def _bucket(token: bytes, n: int, salt) -> int:
    """Python FarmHash/SipHash are not in the standard library: use TensorFlow if present (tests only)."""
    import tensorflow as tf   # noqa: PLC0415 - the Python reference of hashing needs TensorFlow

    if salt is None:
        return int(tf.strings.to_hash_bucket_fast([token], n).numpy()[0])
    return int(tf.strings.to_hash_bucket_strong([token], n, key=list(salt)).numpy()[0])


def _salt(salt: Any) -> Optional[tuple[int, int]]:
    if salt is None:
        return None
    if isinstance(salt, int) and not isinstance(salt, bool):
        salt = (salt, salt)
    if (not isinstance(salt, (list, tuple)) or len(salt) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**64 for s in salt)):
        raise ConversionProblem(f"salt {salt!r} is not an integer or a pair of unsigned 64-bit integers")
    return tuple((s - 2**64 if s >= 2**63 else s) for s in salt)  # as Java longs


# -- reading vocabularies ------------------------------------------------------------------


def _vocab_from_config(ctx: LayerContext) -> Optional[list[str]]:
    v = ctx.layer.config.get("vocabulary")
    if v is None:
        return None
    if isinstance(v, str):
        raise ConversionProblem(f"vocabulary is a file path ({v!r}); keras2java reads vocabularies stored in the "
                                "model file only: pass the vocabulary as a list, or adapt the layer, and save again")
    if not isinstance(v, (list, tuple)) or not all(isinstance(t, str) for t in v):
        raise ConversionProblem("vocabulary is not a list of strings")
    return list(v)


def _vocab_from_assets(ctx: LayerContext) -> Optional[list[str]]:
    assets = ctx.layer.assets or {}
    data = assets.get("vocabulary.txt")
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConversionProblem("assets vocabulary.txt is not UTF-8") from None
    # Keras' load_assets: open(path, "r").read().splitlines(), trailing empty lines dropped.
    # (universal newlines turn "\r\n" and "\r" into "\n"; splitlines also splits at
    # \v \f \x1c \x1d \x1e \x85 \u2028 \u2029, as Keras does on reload)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _lookup_tokens(ctx: LayerContext, vocab: list[str], mask_token, oov_token, num_oov: int, mode: str
                   ) -> tuple[list[str], int, int, bool]:
    """Keras' set_vocabulary: strips the special tokens when they lead; returns
    (tokens, oov_start, token_start, found_special_tokens)."""
    oov_start = 1 if mask_token is not None and mode == "int" else 0
    token_start = oov_start + num_oov
    special = [mask_token] * oov_start + [oov_token] * num_oov
    found = vocab[:token_start] == special
    tokens = vocab[token_start:] if found else vocab
    if not vocab:
        raise ConversionProblem("the vocabulary is empty")
    if len(set(tokens)) != len(tokens):
        raise ConversionProblem("the vocabulary has repeated tokens (Keras itself refuses to load it)")
    if mask_token is not None and mask_token in tokens:
        raise ConversionProblem("the mask token appears inside the vocabulary (Keras itself refuses to load it)")
    return tokens, oov_start, token_start, found


def _idf(ctx: LayerContext, found: bool, token_start: int, depth: int) -> WeightTensor:
    stored = [w for w in ctx.layer.weights if w.name.endswith("idf_weights")]
    if stored:
        w = stored[0]
        arr = np.asarray(w.array, np.float32).reshape(-1)
        if arr.shape[0] != depth:
            raise ConversionProblem(f"idf_weights has {arr.shape[0]} values, expected {depth}")
        return WeightTensor("idf_weights", w.name, arr)
    cfg = ctx.layer.config.get("idf_weights")
    if cfg is None:
        raise ConversionProblem("output_mode 'tf_idf' without stored idf_weights")
    arr = np.asarray(cfg, np.float64).reshape(-1)
    front = 0 if found else token_start
    front_value = float(np.average(arr)) if front else 0.0
    arr = np.pad(arr, (front, max(0, depth - front - arr.shape[0])), "constant", constant_values=(front_value, 0))
    arr = arr.astype(np.float32)
    if arr.shape[0] != depth:
        raise ConversionProblem(f"idf_weights has {arr.shape[0]} values, expected {depth}")
    return WeightTensor("idf_weights", "config idf_weights", arr)


def _common_checks(ctx: LayerContext) -> None:
    if ctx.layer.config.get("sparse"):
        raise ConversionProblem("sparse=True is not supported (Java outputs are dense)")
    if ctx.layer.config.get("ragged"):
        raise ConversionProblem("ragged=True is not supported; set output_sequence_length or ragged=False")
    enc = ctx.layer.config.get("encoding", "utf-8")
    if enc not in (None, "utf-8", "UTF-8"):
        raise ConversionProblem(f"encoding {enc!r} is not supported; only utf-8")


def _depth(ctx: LayerContext, vocab_size: int) -> int:
    max_tokens = ctx.layer.config.get("max_tokens")
    if ctx.layer.config.get("pad_to_max_tokens") and max_tokens is not None:
        return ctx.get_int("max_tokens", minimum=1)
    return vocab_size


@converter("TextVectorization", config_dtype=ConfigDtype.INPUT)
def convert_text_vectorization(ctx: LayerContext) -> Converted:
    _common_checks(ctx)
    cfg = ctx.layer.config
    std = cfg.get("standardize", "lower_and_strip_punctuation")
    if std not in STANDARDIZE:
        raise ConversionProblem(f"custom standardize {_name(std)} is not supported (keras2java never runs Python "
                                "code); use 'lower_and_strip_punctuation', 'lower', 'strip_punctuation' or None")
    split = cfg.get("split", "whitespace")
    if split not in SPLITS:
        raise ConversionProblem(f"custom split {_name(split)} is not supported (keras2java never runs Python "
                                "code); use 'whitespace', 'character' or None")
    ngrams = cfg.get("ngrams")
    if isinstance(ngrams, bool):
        raise ConversionProblem(f"ngrams {ngrams!r} is not an integer or a tuple of integers")
    if isinstance(ngrams, int):
        ngrams = tuple(range(1, ngrams + 1))
    elif isinstance(ngrams, (list, tuple)) and all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                                                   for n in ngrams):
        ngrams = tuple(ngrams)
    elif ngrams is not None:
        raise ConversionProblem(f"ngrams {ngrams!r} is not an integer or a tuple of integers")
    if ngrams is not None and split is None:
        raise ConversionProblem("ngrams without split is not supported")
    mode = cfg.get("output_mode", "int")
    if mode not in ("int", "multi_hot", "count", "tf_idf"):
        raise ConversionProblem(f"output_mode {mode!r} is not supported")
    shape = ctx.single_input()
    if shape == () and split is None:
        raise ConversionProblem("a scalar string input with split=None is not supported; use shape=(1,)")
    vocab = _vocab_from_config(ctx)
    if vocab is None:
        vocab = _vocab_from_assets(ctx)
    if vocab is None:
        raise ConversionProblem("no vocabulary is stored (adapt the layer or pass vocabulary=[...] before saving; "
                                "tf-keras .h5 files keep only a vocabulary passed in the config)")
    mask = ""   # Keras' StringLookup inside has mask_token="": id 0 in int mode, dropped otherwise
    tokens, oov_start, token_start, found = _lookup_tokens(ctx, vocab, mask, "[UNK]", 1, mode)
    size = token_start + len(tokens)
    length: Optional[int]
    if mode == "int":
        seq = cfg.get("output_sequence_length")
        if seq is None:
            length = None if split is not None else 1
        else:
            length = ctx.get_int("output_sequence_length", minimum=1)
        out_shape = (length,)
    else:
        length = _depth(ctx, size)
        out_shape = (length,)
    idf = _idf(ctx, found, token_start, length) if mode == "tf_idf" else None
    op = TextOp("TextVectorization", std in ("lower", "lower_and_strip_punctuation"),
                std in ("strip_punctuation", "lower_and_strip_punctuation"), split, ngrams, tuple(tokens),
                token_start, 1, oov_start, mask, None, mode, length, idf)
    return Converted(op, (out_shape,))


def _name(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if hasattr(value, "get"):
        inner = value.get("config")
        for key in ("registered_name", "class_name"):
            if isinstance(value.get(key), str):
                return repr(value[key] if not isinstance(inner, str) else inner)
    return repr(value)


@converter("StringLookup", config_dtype=ConfigDtype.INPUT)
def convert_string_lookup(ctx: LayerContext) -> Converted:
    _common_checks(ctx)
    cfg = ctx.layer.config
    if cfg.get("invert"):
        return _invert(ctx)
    shape = ctx.single_input()
    if shape != (1,):
        raise ConversionProblem("StringLookup is supported on a string input of shape (1,) only")
    mode = cfg.get("output_mode", "int")
    if mode not in ("int", "one_hot", "multi_hot", "count", "tf_idf"):
        raise ConversionProblem(f"output_mode {mode!r} is not supported")
    num_oov = ctx.get_int("num_oov_indices", 1, minimum=0)
    mask = cfg.get("mask_token")
    oov = cfg.get("oov_token", "[UNK]")
    if mask is not None and not isinstance(mask, str) or not isinstance(oov, str):
        raise ConversionProblem("mask_token and oov_token must be strings")
    salt = _salt(cfg.get("salt"))
    vocab = _vocab_from_config(ctx)
    if vocab is None:
        vocab = _vocab_from_assets(ctx)
    if vocab is None:
        raise ConversionProblem("no vocabulary is stored (adapt the layer or pass vocabulary=[...] before saving)")
    tokens, oov_start, token_start, found = _lookup_tokens(ctx, vocab, mask, oov, num_oov, mode)
    size = token_start + len(tokens)
    length = 1 if mode == "int" else _depth(ctx, size)
    idf = _idf(ctx, found, token_start, length) if mode == "tf_idf" else None
    op = TextOp("StringLookup", False, False, None, None, tuple(tokens), token_start, num_oov, oov_start, mask,
                salt, mode, length, idf)
    return Converted(op, ((length,),))


@register_op
@dataclass(frozen=True)
class InvertLookupOp(Op):
    """StringLookup(invert=True): ids -> strings.  The float graph keeps the ids
    (the op is an alias); the generated class decodes them where it is a model
    output (``predictStrings``, ``decodeOutput<i>``)."""

    vocab: tuple[str, ...]
    token_start: int
    oov_token: str
    mask_token: Optional[str]
    kind: ClassVar[str] = "invert lookup"
    alias: ClassVar[bool] = True
    runtime: ClassVar[tuple[str, ...]] = ("Vocabulary",)
    #: its output is a string tensor (a model output only)
    output_dtype: ClassVar[str] = "string"

    def reference_problem(self) -> Optional[str]:
        return "string outputs: golden vectors hold floats only"

    def describe_weights(self) -> list[str]:
        return [f"ids -> strings: vocabulary: {len(self.vocab)} tokens from id {self.token_start}, "
                f"oov_token={self.oov_token!r}, mask_token={self.mask_token!r}"]

    def evaluate(self, inputs):
        return [inputs[0]]

    def decoder(self, field: str) -> CallView:
        """The Net object that maps ids to strings (rendered with the tokenizers)."""
        init = New("Vocabulary", (Strings(_pack(self.vocab)), self.token_start, self.oov_token, self.mask_token))
        return CallView(field, Label("vocabulary", "StringLookup"), (), "decode", (), cls="Vocabulary", init=init)


def _pack(vocab) -> tuple[str, ...]:
    packed = "".join(f"{len(t.encode('utf-16-le', 'surrogatepass')) // 2}:{t}" for t in vocab)
    return tuple(packed[i:i + CHUNK] for i in range(0, len(packed), CHUNK)) or ("",)


def _invert(ctx: LayerContext) -> Converted:
    cfg = ctx.layer.config
    shape = ctx.single_input()
    if None in shape:
        raise ConversionProblem("StringLookup(invert=True) needs a fixed input shape")
    if cfg.get("output_mode", "int") != "int":
        raise ConversionProblem("invert=True is only supported with output_mode='int' (as in Keras)")
    num_oov = ctx.get_int("num_oov_indices", 1, minimum=0)
    mask = cfg.get("mask_token")
    oov = cfg.get("oov_token", "[UNK]")
    if mask is not None and not isinstance(mask, str) or not isinstance(oov, str):
        raise ConversionProblem("mask_token and oov_token must be strings")
    vocab = _vocab_from_config(ctx)
    if vocab is None:
        vocab = _vocab_from_assets(ctx)
    if vocab is None:
        raise ConversionProblem("no vocabulary is stored (adapt the layer or pass vocabulary=[...] before saving)")
    tokens, _, token_start, _ = _lookup_tokens(ctx, vocab, mask, oov, num_oov, "int")
    if oov in tokens:
        raise ConversionProblem("the OOV token appears inside the vocabulary (Keras refuses it with invert=True)")
    return Converted(InvertLookupOp(tuple(tokens), token_start, oov, mask), (shape,))


MaskRule  # noqa: B018 - text layers create no Keras mask (REFUSE is the default rule)
