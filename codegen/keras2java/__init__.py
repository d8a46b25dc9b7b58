"""keras2java: compile Keras recurrent models into standalone Java.

Importing this package never imports TensorFlow or Keras.
"""
from __future__ import annotations

from ._version import __version__  # noqa: E402

from typing import Any, Optional  # noqa: E402

from .errors import Keras2JavaError, ModelFileError, OptionError, Problem, UnsupportedModelError  # noqa: E402


def convert(model_or_path: Any, out_dir: str, package: str = "models", class_name: str = "Model",
            weights: Optional[str] = None, architecture: Optional[str] = None, with_test: bool = False,
            junit: str = "5", test_out: Optional[str] = None, vector_out: Optional[str] = None):
    """Convert a model file (or an in-memory ``keras.Model``) into Java sources under ``out_dir``.

    ``weights`` is ``"embedded"``, ``"resource"`` or ``None``/``"auto"`` (embedded for
    small models).  ``with_test`` also writes golden vectors and a JUnit ``junit``
    ("5", "4" or "none") test (into ``test_out``, default ``out_dir``), as
    ``keras2java convert --with-test`` does.  ``vector_out`` also writes the optional
    JDK 17+ Vector API kernels into that separate source root (``--vector-out``).  Returns a
    :class:`keras2java.pipeline.ConversionResult`.  Raises :class:`Keras2JavaError`
    subclasses on bad input.
    """
    import os
    import tempfile

    from .pipeline import ConvertOptions, TestOptions, convert_file

    options = ConvertOptions(package=package, class_name=class_name, weights=weights or "auto",
                             architecture=architecture, test=TestOptions(junit, 5, test_out) if with_test else None,
                             vector_out=vector_out)
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


__all__ = ["__version__", "convert", "Keras2JavaError", "ModelFileError", "OptionError", "Problem",
           "UnsupportedModelError"]
