"""Loading plugins (see :mod:`keras2java.plugins`): ``--plugin PATH_OR_MODULE``,
``keras2java.convert(..., plugins=[...])`` and the ``keras2java.layers``
entry point group of installed packages.

Loading is idempotent: a plugin is imported once per process, and loading it
again re-activates what it registered (after
:func:`keras2java.ops.base.unregister_plugins`).  A plugin that fails to
import, or registers a Keras class that is already registered, raises
:class:`keras2java.PluginError` (the CLI: one line on stderr, exit 2) and
leaves nothing of itself registered.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import sys
import types
from typing import Any, Callable, Iterable, Optional, Sequence

from . import plugins
from .errors import PluginError
from .ops.base import LayerSpec, converter, layer_spec, unregister

#: Entry point group: ``ClassName = package.module`` (a module whose import registers
#: converters with ``@keras2java.layer``) or ``ClassName = package.module:function``
#: (a converter, registered for ``ClassName`` unless already decorated).
ENTRY_POINT_GROUP = "keras2java.layers"
#: Set to a non-empty value to skip the entry points of installed packages.
DISABLE_ENV = "KERAS2JAVA_DISABLE_PLUGIN_AUTOLOAD"

_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")
#: What each loaded plugin registered, by how it was loaded.
_LOADED: dict[tuple[str, str], tuple[LayerSpec, ...]] = {}


def load_plugins(sources: Iterable[str] = (), entry_points: bool = True) -> tuple[str, ...]:
    """Loads each plugin of ``sources`` (a ``.py`` file path or an importable
    module name) and, with ``entry_points`` (unless ``KERAS2JAVA_DISABLE_PLUGIN_AUTOLOAD``
    is set), those of installed packages.  Returns the Keras classes they provide."""
    if isinstance(sources, (str, bytes, os.PathLike)):
        sources = [os.fspath(sources)]  # type: ignore[list-item]
    classes: list[str] = []
    for src in sources:
        classes.extend(load_plugin(src))
    if entry_points and not os.environ.get(DISABLE_ENV):
        for ep in _entry_points():
            classes.extend(_load_entry_point(ep))
    return tuple(dict.fromkeys(classes))


def load_plugin(source: Any) -> tuple[str, ...]:
    """Loads one plugin: a ``.py`` file path or a module name."""
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str) or not source.strip():
        raise PluginError(f"plugin {source!r}: expected a .py file path or a module name")
    if source.endswith(".py") or os.sep in source or "/" in source:
        path = os.path.realpath(source)
        if not os.path.isfile(path):
            raise PluginError(f"plugin {source}: no such file")
        key = ("file", path)
        return _load(key, source, lambda: _import_file(path, source), path)
    if not _MODULE_NAME.match(source):
        raise PluginError(f"plugin {source!r}: not a .py file path or a module name")
    return _load(("module", source), source, lambda: _import_module(source))


def _load(key: tuple[str, str], label: str, do_import: Callable[[], Optional[str]],
          path: Optional[str] = None) -> tuple[str, ...]:
    if key in _LOADED:
        return _activate(_LOADED[key], label)
    start = len(plugins.REGISTERED)
    try:
        module_name = do_import()
    except PluginError as exc:
        _rollback(start)
        raise PluginError(f"plugin {label}: {exc}") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure of foreign code: one clear line
        _rollback(start)
        where = _where(exc, path)
        raise PluginError(f"plugin {label}: cannot import it: {type(exc).__name__}: {exc}{where}") from None
    specs = list(plugins.REGISTERED[start:])
    if module_name is not None and not specs:   # imported earlier (decorators already ran): what it registered then
        latest = {s.keras_class: s for s in plugins.REGISTERED
                  if s.origin == module_name or s.origin.startswith(module_name + ".")}
        specs = list(latest.values())
    if not specs:
        raise PluginError(f"plugin {label}: registers no layer (decorate its converters with @keras2java.layer(...))")
    _LOADED[key] = tuple(specs)
    return _activate(_LOADED[key], label)


def _where(exc: BaseException, path: Optional[str]) -> str:
    """`` (file.py, line N)``: where in the plugin (else in foreign code) the exception was raised."""
    if isinstance(exc, SyntaxError):
        return ""          # its message names the file and line
    skip = (os.path.dirname(importlib.__file__ or ""), os.path.dirname(__file__))
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    own = [f for f in frames if path is not None and os.path.realpath(f[0]) == path]
    foreign = [f for f in frames if not f[0].startswith("<") and not f[0].startswith(skip)]
    found = (own or foreign or [None])[-1]
    return f" ({os.path.basename(found[0])}, line {found[1]})" if found else ""


def _rollback(start: int) -> None:
    for spec in plugins.REGISTERED[start:]:
        if layer_spec(spec.keras_class) is spec:
            unregister(spec.keras_class)
    del plugins.REGISTERED[start:]


def _activate(specs: Sequence[LayerSpec], label: str) -> tuple[str, ...]:
    """Registers ``specs`` again where they are missing (after ``unregister_plugins``)."""
    for spec in specs:
        current = layer_spec(spec.keras_class)
        if current is None:
            converter(spec.keras_class, mask=spec.mask, builtin=False, tensor_kwargs=spec.tensor_kwargs)(spec.convert)
        elif current.convert is not spec.convert:
            raise PluginError(f"plugin {label}: Keras class {spec.keras_class!r} is already registered by "
                              f"{plugins.describe_origin(current)}")
    return tuple(s.keras_class for s in specs)


def _import_file(path: str, label: str) -> Optional[str]:
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    name = f"keras2java_plugin_{stem}_{hashlib.sha256(path.encode('utf-8')).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginError("not a Python source file")
    module = importlib.util.module_from_spec(spec)
    plugins.SOURCES[name] = label
    sys.modules[name] = module      # dataclasses and pickling look plugin classes up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return None


def _import_module(name: str) -> Optional[str]:
    importlib.import_module(name)
    return name


def _entry_points() -> list:
    from importlib import metadata

    eps = metadata.entry_points()
    if hasattr(eps, "select"):     # Python 3.10+
        found = list(eps.select(group=ENTRY_POINT_GROUP))
    else:                           # Python 3.9
        found = list(eps.get(ENTRY_POINT_GROUP, ()))  # type: ignore[attr-defined]
    unique = {(ep.name, ep.value): ep for ep in found}
    return [unique[k] for k in sorted(unique)]


def _load_entry_point(ep: Any) -> tuple[str, ...]:
    label = f"entry point {ep.name} = {ep.value}"

    def do_import() -> Optional[str]:
        obj = ep.load()
        if isinstance(obj, types.ModuleType):
            return obj.__name__                # its import registered converters with @keras2java.layer
        if not callable(obj):
            raise PluginError(f"{obj!r} is neither a module nor a converter function")
        if not hasattr(obj, "__keras2java_layer__"):
            plugins.layer(ep.name)(obj)        # a plain converter: registered under the entry point's name
        return getattr(obj, "__module__", None)

    return _load(("entry point", f"{ep.name}={ep.value}"), label, do_import)


__all__ = ["DISABLE_ENV", "ENTRY_POINT_GROUP", "load_plugin", "load_plugins"]
