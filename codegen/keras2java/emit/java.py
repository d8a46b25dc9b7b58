"""Stage 4: render the Java package and write it atomically."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import jinja2

from .._version import __version__
from ..errors import OptionError
from ..ir import Model
from . import runtime_deps
from . import weights as wlayout
from .resources import runtime_dir, templates_dir, vector_runtime_dir
from .syntax import JavaSyntax
from .views import build_view

#: Models with at most this many parameters embed their weights by default.
EMBEDDED_THRESHOLD = 262_144


def runtime_package() -> str:
    return "keras2java.runtime.v" + re.sub(r"[^0-9A-Za-z]", "_", __version__)


def runtime_classes() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in runtime_dir().glob("*.java")))


def public_runtime_classes() -> tuple[str, ...]:
    """The runtime classes the generated model class may import (the public ones)."""
    return tuple(sorted(p.stem for p in runtime_dir().glob("*.java")
                        if re.search(r"^public (final |abstract )?(class|interface) ", p.read_text("utf-8"), re.M)))


@dataclass(frozen=True)
class GeneratedFile:
    path: str          # relative to the output directory, '/'-separated
    content: bytes
    #: for large files: produces the content in pieces instead of ``content``
    stream: Optional[Callable[[], Iterable]] = None
    size: int = 0      # bytes produced by ``stream``

    def write_to(self, path: Path, progress: Optional[Callable[[int, int], None]] = None) -> None:
        if self.stream is None:
            path.write_bytes(self.content)
            return
        done = 0
        with open(path, "wb") as fh:
            for piece in self.stream():
                fh.write(piece)
                done += len(piece)
                if progress is not None:
                    progress(done, self.size)


@dataclass(frozen=True)
class EmitOptions:
    package: str
    class_name: str
    weights: str       # "embedded" or "resource" (after resolving "auto")
    labels: tuple[str, ...] = ()   # class labels of the single output (--labels)
    weights_storage: str = "float32"   # --weights-storage: float32, float16, bfloat16 or int8
    runtime: str = "used"      # --runtime: "used" (the closure the model needs) or "full" (every class)
    vector: bool = False       # the Vector API kernels go with the package (--vector-out, --build maven)
    self_test: Optional[Any] = None   # parts.SelfTestPart: selfTest() over a recorded sample (--self-test)


def resolve_weights_mode(model: Model, requested: Optional[str]) -> str:
    if requested in (None, "auto"):
        return "embedded" if model.param_count() <= EMBEDDED_THRESHOLD else "resource"
    if requested not in ("embedded", "resource"):
        raise OptionError(f"invalid --weights {requested!r}: choose embedded, resource or auto")
    return requested


def generated_classes(class_name: str) -> frozenset[str]:
    """The top-level classes a conversion generates in the model's package."""
    return frozenset(class_name + suffix for suffix in ("", "Weights", "Golden", "Test"))


def _env(class_name: str = "") -> jinja2.Environment:
    """The template environment, with the Java syntax filters for a model class:
    runtime classes whose names clash with generated classes are written fully qualified."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined, autoescape=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return JavaSyntax(runtime_package(), qualified_runtime(class_name)).install(env)


def qualified_runtime(class_name: str) -> frozenset[str]:
    return frozenset(runtime_classes()) & generated_classes(class_name)


def render(model: Model, opts: EmitOptions) -> list[GeneratedFile]:
    """Every file of the generated package, in memory."""
    env = _env(opts.class_name)
    layout, weights = wlayout.layout(model, opts.weights_storage)
    rt_pkg = runtime_package()
    view = build_view(model, opts.package, opts.class_name, rt_pkg, __version__, opts.weights, layout,
                      public_runtime_classes(), opts.labels, qualified_runtime(opts.class_name), opts.self_test)
    pkg_dir = opts.package.replace(".", "/")
    files = [GeneratedFile(f"{pkg_dir}/{opts.class_name}.java",
                           env.get_template("model.java.j2").render(m=view).encode("utf-8"))]
    if opts.weights == "embedded":
        files.append(GeneratedFile(f"{pkg_dir}/{view.weights_class}.java",
                                   _render_weights(env, view, layout, weights).encode("ascii")))
    else:
        files.append(GeneratedFile(f"{pkg_dir}/{view.resource_name}", b"",
                                   stream=lambda: wlayout.stored_pieces(weights, layout.storage),
                                   size=layout.stored_bytes))
    files.extend(runtime_files(classes=package_runtime(view.runtime_used, opts)))
    return files


def package_runtime(used: Iterable[str], opts: EmitOptions) -> Optional[frozenset[str]]:
    """The runtime classes a package holds: the closure of ``used`` (``--runtime used``),
    or None for every class (``--runtime full``)."""
    if opts.runtime == "full":
        return None
    if opts.runtime != "used":
        raise OptionError(f"invalid --runtime {opts.runtime!r}: choose {' or '.join(runtime_deps.RUNTIME_CHOICES)}")
    return runtime_deps.closure(set(used) | (set(runtime_deps.VECTOR) if opts.vector else set()))


@dataclass(frozen=True)
class MavenOptions:
    group_id: str
    artifact_id: str
    artifact_version: str


_MAVEN_ID = re.compile(r"[A-Za-z0-9_.\-]+\Z")


def check_maven(opts: MavenOptions) -> None:
    for flag, value in (("--group-id", opts.group_id), ("--artifact-id", opts.artifact_id),
                        ("--artifact-version", opts.artifact_version)):
        if not isinstance(value, str) or not _MAVEN_ID.match(value):
            raise OptionError(f"invalid {flag} {value!r}: use letters, digits, '.', '-' and '_'")


@dataclass(frozen=True)
class _PomView:
    version: str
    package: str
    class_name: str
    group_id: str
    artifact_id: str
    artifact_version: str
    source_sha256: str
    junit: str          # "5", "4" or "" (no test dependency)


def as_maven_project(model: Model, files: list[GeneratedFile], test_files: list[GeneratedFile],
                     opts: EmitOptions, maven: MavenOptions, junit: str) -> list[GeneratedFile]:
    """The same files laid out as a Maven project, with a pom.xml."""
    from dataclasses import replace
    out = []
    for f in files:
        root = "src/main/java/" if f.path.endswith(".java") else "src/main/resources/"
        out.append(replace(f, path=root + f.path))
    out.extend(replace(f, path="src/test/java/" + f.path) for f in test_files)
    # The optional Vector API kernels: compiled by the pom's JDK 17+ profile only.
    out.extend(replace(f, path="src/main/java17/" + f.path) for f in vector_runtime_files())
    pom = _PomView(__version__, opts.package, opts.class_name, maven.group_id, maven.artifact_id,
                   maven.artifact_version, model.source.sha256, junit if test_files and junit != "none" else "")
    out.append(GeneratedFile("pom.xml", _env(opts.class_name).get_template("pom.xml.j2").render(p=pom).encode("utf-8")))
    return out


def render_golden(g, opts: EmitOptions, junit: str) -> list[GeneratedFile]:
    """``<Class>Golden.java`` (golden vectors with a dependency-free check) from the
    golden view ``g`` and, unless ``junit`` is "none", ``<Class>Test.java`` for JUnit 5 or 4."""
    env = _env(opts.class_name)
    pkg_dir = opts.package.replace(".", "/")
    files = [GeneratedFile(f"{pkg_dir}/{g.golden_class}.java",
                           env.get_template("golden.java.j2").render(g=g).encode("utf-8"))]
    if junit != "none":
        files.append(GeneratedFile(f"{pkg_dir}/{opts.class_name}Test.java",
                                   env.get_template("golden_test.java.j2").render(g=g).encode("utf-8")))
    return files


@dataclass(frozen=True)
class _WeightsView:
    package: str
    runtime_package: str
    class_name: str
    weights_class: str
    version: str
    count: int
    sha256: str
    holders: tuple[wlayout.Holder, ...]
    storage: str        # float32 (raw little-endian floats) or a packed storage
    stored_bytes: int


def _render_weights(env, view, layout, weights) -> str:
    holders = wlayout.chunk_holders(wlayout.base64_chunks(weights, layout.storage))
    wv = _WeightsView(view.package, view.runtime_package, view.class_name, view.weights_class,
                      __version__, layout.count, layout.sha256, holders, layout.storage, layout.stored_bytes)
    return env.get_template("weights.java.j2").render(w=wv)


def runtime_files(directory: Optional[Path] = None, classes: Optional[frozenset[str]] = None) -> list[GeneratedFile]:
    """The runtime sources (those of ``classes``, default all), moved to the versioned runtime package."""
    rt_pkg = runtime_package()
    out = []
    for src in sorted((directory or runtime_dir()).glob("*.java")):
        if classes is not None and src.stem not in classes:
            continue
        text = src.read_text(encoding="utf-8")
        text = text.replace("package keras2java.runtime;", f"package {rt_pkg};", 1)
        out.append(GeneratedFile(f"{rt_pkg.replace('.', '/')}/{src.name}", text.encode("utf-8")))
    return out


def vector_runtime_files() -> list[GeneratedFile]:
    """The optional JDK 17+ Vector API kernels, for a source root of their own."""
    return runtime_files(vector_runtime_dir())


def write_atomically(files: list[GeneratedFile], out_dir: str,
                     progress: Optional[Callable[[int, int], None]] = None) -> list[str]:
    """Write every file into ``out_dir`` (see :func:`write_roots`)."""
    return write_roots(((out_dir, tuple(files)),), progress)


def write_roots(roots, progress: Optional[Callable[[int, int], None]] = None) -> list[str]:
    """Write ``(directory, files)`` roots all or nothing: every root is first
    staged in a temporary directory beside it; only when all are complete are
    the files moved into place, each file it replaces kept aside until the end.
    On any failure the moved files are taken back and the replaced ones
    restored, so no root is left half-written and no existing file replaced."""
    staged: list[tuple[Path, Path, tuple]] = []
    moved: list[tuple[Path, Optional[Path]]] = []
    made: list[Path] = []
    try:
        for out_dir, files in roots:
            out = Path(out_dir)
            if out.exists() and not out.is_dir():
                raise OptionError(f"--out {out_dir}: exists and is not a directory")
            parent = out.resolve().parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
                tmp = Path(tempfile.mkdtemp(prefix=".keras2java-", dir=str(parent)))
            except OSError as exc:
                raise OptionError(f"--out {out_dir}: cannot write there ({exc.strerror})") from None
            staged.append((out, tmp, tuple(files)))
            clash = [f.path for f in files if (out / f.path).is_dir()]
            if clash:
                raise OptionError(f"--out {out_dir}: {clash[0]} exists and is a directory")
            for f in files:
                p = tmp / "new" / f.path
                p.parent.mkdir(parents=True, exist_ok=True)
                f.write_to(p, progress)
        for out, tmp, files in staged:
            for d in [out] + [out / Path(f.path).parent for f in files]:
                missing = [a for a in [d, *d.parents] if not a.exists()]
                for a in reversed(missing):
                    a.mkdir()
                    made.append(a)
            for f in files:
                dest = out / f.path
                backup = None
                if dest.exists():
                    backup = tmp / "old" / f.path
                    backup.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(dest, backup)
                moved.append((dest, backup))
                os.replace(tmp / "new" / f.path, dest)
        return [str(out / f.path) for out, _, files in staged for f in files]
    except OSError as exc:
        for dest, backup in reversed(moved):   # undo: new files out, replaced files back
            try:
                if dest.exists():
                    os.remove(dest)
                if backup is not None:
                    os.replace(backup, dest)
            except OSError:
                pass
        for d in reversed(made):
            try:
                d.rmdir()
            except OSError:
                pass
        raise OptionError(f"--out {roots[0][0] if roots else ''}: cannot write output ({exc})") from None
    finally:
        for _, tmp, _ in staged:
            shutil.rmtree(tmp, ignore_errors=True)
