"""keras2java: compile Keras recurrent models into standalone Java.

Importing this package never imports TensorFlow or Keras.
"""
from __future__ import annotations

from ._version import __version__  # noqa: E402

from typing import Any, Callable, Optional, Sequence  # noqa: E402

from .errors import (Keras2JavaError, ModelFileError, OptionError, PluginError, Problem,  # noqa: E402
                     UnsupportedModelError)


def convert(model_or_path: Any, out_dir: str, package: str = "models", class_name: str = "Model",
            weights: Optional[str] = None, architecture: Optional[str] = None, with_test: bool = False,
            junit: str = "5", test_out: Optional[str] = None, vector_out: Optional[str] = None,
            plugins: Optional[Sequence[str]] = None, weights_storage: str = "float32",
            runtime: str = "used", self_test: Optional[str] = None, self_test_sample: Optional[str] = None):
    """Convert a model file (or an in-memory ``keras.Model``) into Java sources under ``out_dir``.

    ``weights`` is ``"embedded"``, ``"resource"`` or ``None``/``"auto"`` (embedded for
    small models).  ``with_test`` also writes golden vectors and a JUnit ``junit``
    ("5", "4" or "none") test (into ``test_out``, default ``out_dir``), as
    ``keras2java convert --with-test`` does.  ``vector_out`` also writes the optional
    JDK 17+ Vector API kernels into that separate source root (``--vector-out``).  ``plugins``
    loads custom-layer plugins first (``.py`` paths or module names, as ``--plugin``; see
    :func:`layer`); the ``keras2java.layers`` entry points are loaded in any case.
    ``weights_storage`` is ``"float32"`` (default, bit-exact), ``"float16"``, ``"bfloat16"`` or
    ``"int8"`` (``--weights-storage``: smaller weights, expanded to float32 at load).  Returns a
    :class:`keras2java.pipeline.ConversionResult`.  Raises :class:`Keras2JavaError`
    subclasses on bad input.
    ``runtime`` is ``"used"`` (default: the package holds only the runtime classes the model
    needs) or ``"full"`` (all of them, for a shared jar of many models; ``--runtime``).
    ``self_test`` (``"method"`` or ``"load"``, ``--self-test``) gives the class one recorded sample and
    ``selfTest()`` (``"load"``: also run when the class loads); ``self_test_sample`` is an ``.npz`` with
    ``input_<i>`` and the Keras outputs ``output_<i>`` (``--self-test-sample``; implies ``"method"``),
    else the outputs come from Keras if usable, else from keras2java's numpy reference.
    """
    import os
    import tempfile

    from .pipeline import ConvertOptions, TestOptions, convert_file
    from .plugin_loader import load_plugins
    from .selftest import SelfTestOptions

    load_plugins(plugins or ())
    options = ConvertOptions(package=package, class_name=class_name, weights=weights or "auto",
                             architecture=architecture, test=TestOptions(junit, 5, test_out) if with_test else None,
                             vector_out=vector_out, weights_storage=weights_storage, runtime=runtime,
                             self_test=SelfTestOptions(self_test or "method", self_test_sample)
                             if self_test is not None or self_test_sample is not None else None)
    if isinstance(model_or_path, (str, os.PathLike)):
        return convert_file(os.fspath(model_or_path), out_dir, options)
    if hasattr(model_or_path, "save") and hasattr(model_or_path, "get_config"):
        with tempfile.TemporaryDirectory(prefix="keras2java-") as tmp:
            path = os.path.join(tmp, "model.keras")
            try:
                model_or_path.save(path)
            except Exception as exc:  # Keras raises many types here
                raise OptionError(f"cannot save the in-memory model as .keras: {exc}") from None
            return convert_file(path, out_dir, options)
    raise OptionError(f"convert() takes a model file path or a keras.Model, not {type(model_or_path).__name__}")


def layer(keras_class: str, *, mask: str = "refuse") -> Callable:
    """Decorator of a plugin: registers ``fn(ctx)`` as the converter of the custom Keras
    class ``keras_class``.  ``ctx`` is a :class:`keras2java.plugins.PluginContext`;
    ``fn`` returns the layer as built-in ops, e.g.::

        @keras2java.layer("ReversedLSTM")
        def reversed_lstm(ctx):
            lstm = ctx.builtin("LSTM", config={**ctx.config, "go_backwards": True})
            g = ctx.graph()
            return g.output(g.reverse_time(g.add(lstm, [g.input(0)])))

    ``mask``: ``"refuse"`` (default) or ``"pass"`` (a Keras mask passes the layer
    unchanged).  See :mod:`keras2java.plugins` and ``examples/plugins/``.
    """
    from .plugins import layer as register

    return register(keras_class, mask=mask)


def lambda_layer(layer_name: str, *, mask: str = "refuse") -> Callable:
    """Decorator of a plugin: registers ``fn(ctx)`` as what the ``Lambda`` layer named
    ``layer_name`` computes (keras2java never runs a Lambda's Python code), with the
    same composition API as :func:`layer`, e.g. for ``Lambda(lambda x: ops.mean(x, axis=1),
    name="mean_over_time")``::

        @keras2java.lambda_layer("mean_over_time")
        def mean_over_time(ctx):
            g = ctx.graph()
            return g.output(g.mean(g.input(0), axis=0))
    """
    from .plugins import lambda_layer as register

    return register(layer_name, mask=mask)


__all__ = ["__version__", "convert", "lambda_layer", "layer", "Keras2JavaError", "ModelFileError", "OptionError", "PluginError",
           "Problem", "UnsupportedModelError"]
