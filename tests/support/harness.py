"""Test harness: convert many models, compile them with one javac call and run
them in one JVM, then compare with Keras' own outputs.

References always come from Keras (``model.predict`` or a call of the Keras
model) at test time; nothing here computes expected values itself.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[2]
RUNNER_SRC = REPO / "tests" / "java" / "K2jRunner.java"

#: The documented accuracy contract: |java - keras| / max(1, |keras|) <= 1e-5.
TOLERANCE = 1e-5


def java_bin(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} not found on PATH: install a JDK (17 or newer)")
    return path


def max_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """Max of |a-e| / max(1, |e|): absolute error, relative where |e| > 1.
    NaN in the same places counts as equal; NaN in one only is infinite error."""
    a = np.asarray(actual, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    if a.shape != e.shape:
        return float("inf")
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(a) & np.isinf(e) & (np.sign(a) == np.sign(e))
    ok = ~(both_nan | same_inf)
    if not ok.any():
        return 0.0
    diff = np.abs(a[ok] - e[ok]) / np.maximum(1.0, np.abs(e[ok]))
    diff = np.where(np.isnan(diff), np.inf, diff)
    return float(diff.max()) if diff.size else 0.0


def write_inputs(path: Path, samples: Sequence[Sequence[np.ndarray]]) -> None:
    with open(path, "wb") as fh:
        fh.write(struct.pack("<i", len(samples)))
        for sample in samples:
            fh.write(struct.pack("<i", len(sample)))
            for arr in sample:
                flat = np.ascontiguousarray(np.asarray(arr, dtype="<f4").ravel())
                fh.write(struct.pack("<i", flat.size))
                fh.write(flat.tobytes())


def write_shapes(path: Path, samples: Sequence[Sequence[np.ndarray]]) -> None:
    """Beside an inputs file: each input's shape (int32 LE: nSamples, per sample nInputs, per
    input its rank and sizes), which the runner passes to ``predictAll(float[][], int[][])``
    where the model has it (inputs with several variable axes)."""
    with open(path, "wb") as fh:
        fh.write(struct.pack("<i", len(samples)))
        for sample in samples:
            fh.write(struct.pack("<i", len(sample)))
            for arr in sample:
                shape = np.shape(arr)
                fh.write(struct.pack(f"<{1 + len(shape)}i", len(shape), *shape))


def read_outputs(path: Path) -> list:
    """Per sample: a list of float32 arrays, or an error string."""
    data = path.read_bytes()
    pos = 0

    def i32() -> int:
        nonlocal pos
        (v,) = struct.unpack_from("<i", data, pos)
        pos += 4
        return v

    out = []
    for _ in range(i32()):
        k = i32()
        if k < 0:
            n = i32()
            out.append(data[pos:pos + n].decode("utf-8"))
            pos += n
            continue
        arrs = []
        for _ in range(k):
            n = i32()
            arrs.append(np.frombuffer(data, dtype="<f4", count=n, offset=pos).copy())
            pos += 4 * n
        out.append(arrs)
    return out


@dataclass
class JavaCase:
    case_id: str
    class_fqn: str
    samples: list
    expected: Optional[list] = None         # per sample: list of arrays from Keras
    convert_error: Optional[str] = None
    outputs: list = field(default_factory=list)
    compile_error: Optional[str] = None
    run_error: Optional[str] = None
    mode: str = ""      # "" = predictAll per sample; "stream:<floats per step>" = Session steps

    def check(self, tol: float = TOLERANCE) -> float:
        """Assert the Java outputs match Keras; returns the worst error."""
        assert self.convert_error is None, f"conversion failed: {self.convert_error}"
        assert self.compile_error is None, f"javac failed:\n{self.compile_error}"
        assert self.run_error is None, f"java failed:\n{self.run_error}"
        assert self.expected is not None
        assert len(self.outputs) == len(self.expected), "missing outputs"
        worst = 0.0
        for s, (got, exp) in enumerate(zip(self.outputs, self.expected)):
            assert not isinstance(got, str), f"sample {s}: Java threw {got}"
            assert len(got) == len(exp), f"sample {s}: {len(got)} outputs, Keras has {len(exp)}"
            for o, (g, e) in enumerate(zip(got, exp)):
                assert g.size == np.asarray(e).size, f"sample {s} output {o}: {g.size} values, Keras has {np.asarray(e).size}"
                err = max_error(g, e)
                assert err <= tol, f"sample {s} output {o}: max error {err:.3g} > {tol:g}\njava ={g[:8]}\nkeras={np.ravel(e)[:8]}"
                worst = max(worst, err)
        log = os.environ.get("K2J_ERROR_LOG")
        if log:  # collect worst errors per case for reports (see scripts/error_report.py)
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{self.case_id}\t{worst:.3e}\n")
        return worst


#: Compiled runtime packages of this process, by a hash of their sources: the first batch
#: compiles the runtime with its models, later batches with the same runtime sources copy
#: its classes instead of compiling it again (one javac per batch either way).
_RUNTIME_CLASSES: dict[str, Path] = {}
_RUNTIME_CACHE: list[Path] = []   # the process's directory of kept runtime classes


def _runtime_key(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package_dir.glob("*.java")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _reuse_runtime(src: Path, classes: Path) -> tuple[set, dict]:
    """The runtime source files already compiled by this process (their classes copied
    into ``classes``), and {key: package dir} of the runtime packages still to compile."""
    reused, todo = set(), {}
    for package_dir in sorted({p.parent for p in src.glob("keras2java/runtime/*/*.java")}):
        key = _runtime_key(package_dir)
        relative = package_dir.relative_to(src)
        if key in _RUNTIME_CLASSES:
            shutil.copytree(_RUNTIME_CLASSES[key], classes / relative, dirs_exist_ok=True)
            reused |= {str(p) for p in package_dir.glob("*.java")}
        else:
            todo[key] = relative
    return reused, todo


def _keep_runtime(classes: Path, todo: dict) -> None:
    """After a successful javac: keep the classes of the runtime packages it compiled."""
    for key, relative in todo.items():
        if not _RUNTIME_CACHE:
            _RUNTIME_CACHE.append(Path(tempfile.mkdtemp(prefix="k2j-runtime-classes-")))
            atexit.register(shutil.rmtree, _RUNTIME_CACHE[0], True)
        target = _RUNTIME_CACHE[0] / key
        shutil.copytree(classes / relative, target, dirs_exist_ok=True)
        _RUNTIME_CLASSES[key] = target


#: JVM options per kernel choice (``keras2java.kernels``).
KERNEL_OPTIONS = {
    "auto": [],
    "portable": ["-Dkeras2java.kernels=portable"],
    "fma": ["-Dkeras2java.kernels=fma"],
    "vector": ["--add-modules", "jdk.incubator.vector", "-Dkeras2java.kernels=vector"],
    # intra-op threads on every one-row product of 64 weights or more (96 columns or more: 32 per thread)
    "fma+intra-op": ["-Dkeras2java.kernels=fma", "-Dkeras2java.intraOpThreads=3", "-Dkeras2java.intraOpMinWeights=64"],
    # the batch path's input projection a few timesteps at a time (Recurrent.CHUNK_FLOATS)
    "fma+projection-chunks": ["-Dkeras2java.kernels=fma", "-Dkeras2java.projectionChunkFloats=2500"],
    "vector+intra-op": ["--add-modules", "jdk.incubator.vector", "-Dkeras2java.kernels=vector",
                        "-Dkeras2java.intraOpThreads=3", "-Dkeras2java.intraOpMinWeights=64"],
}


def needs_optional_kernels(kernels: str) -> bool:
    """Whether the JVM options of ``kernels`` (a key of :data:`KERNEL_OPTIONS`) ask for kernels of the
    optional source root (``FmaKernels``, ``VectorKernels``), which must then be compiled in."""
    return any(flag in ("-Dkeras2java.kernels=fma", "-Dkeras2java.kernels=vector") for flag in KERNEL_OPTIONS[kernels])


class JavaBatch:
    """Collects conversions, then compiles and runs them all at once.  With kernels
    of the optional source root (``"vector"``, ``"fma"``, their variants) that root
    is compiled in too and the JVM must use them (``rerun`` runs the same cases with
    others)."""

    def __init__(self, workdir: Path, kernels: str = "auto") -> None:
        self.workdir = Path(workdir)
        self.src = self.workdir / "src"
        self.cases: dict[str, JavaCase] = {}
        self.kernels = kernels
        self._jobs: list = []
        self._ran = False

    def add(self, case_id: str, model_path: str, samples: list, expected: Optional[list], *,
            package: str, class_name: str = "Model", weights: Optional[str] = None,
            architecture: Optional[str] = None, mode: str = "", weights_storage: str = "float32") -> JavaCase:
        """Convert ``model_path`` now (errors are kept for the case's test)."""
        from keras2java import Keras2JavaError, convert

        case = JavaCase(case_id, f"{package}.{class_name}", samples, expected, mode=mode)
        try:
            convert(model_path, str(self.src), package=package, class_name=class_name, weights=weights,
                    architecture=architecture, weights_storage=weights_storage)
        except Keras2JavaError as exc:
            case.convert_error = str(exc)
        self.cases[case_id] = case
        return case

    def run(self) -> None:
        if self._ran:
            return
        self._ran = True
        live = [c for c in self.cases.values() if c.convert_error is None]
        if not live:
            return
        classes = self.workdir / "classes"
        classes.mkdir(parents=True, exist_ok=True)
        reused, todo = _reuse_runtime(self.src, classes)
        sources = [str(p) for p in self.src.rglob("*.java") if str(p) not in reused] + [str(RUNNER_SRC)]
        argfile = self.workdir / "sources.txt"
        argfile.write_text("\n".join(f'"{s}"' for s in sources))
        proc = subprocess.run([java_bin("javac"), "--release", "8", "-nowarn", "-encoding", "UTF-8",
                               "-J-Xmx2g", "-cp", str(classes), "-d", str(classes), f"@{argfile}"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            for c in live:
                c.compile_error = proc.stderr[-4000:]
            return
        _keep_runtime(classes, todo)
        if needs_optional_kernels(self.kernels):
            from keras2java.emit import vector_runtime_files, write_atomically
            vec = self.workdir / "vector-src"
            write_atomically(vector_runtime_files(), str(vec))
            subprocess.run([java_bin("javac"), "--release", "17", "--add-modules", "jdk.incubator.vector", "-nowarn",
                            "-cp", str(classes), "-d", str(classes), *map(str, vec.rglob("*.java"))],
                           check=True, capture_output=True)
        jobs = []
        for i, c in enumerate(live):
            inp = self.workdir / f"in{i}.bin"
            write_inputs(inp, c.samples)
            write_shapes(Path(f"{inp}.shapes"), c.samples)
            jobs.append((c, inp, self.workdir / f"out{i}.bin"))
        self._jobs = jobs
        proc = self._run_jobs(jobs, self.kernels, "jobs.txt")
        for c, _, o in jobs:
            if o.exists():
                try:
                    c.outputs = read_outputs(o)
                    continue
                except Exception as exc:  # truncated file from a crash
                    c.run_error = f"unreadable output: {exc}\n{proc.stderr[-2000:]}"
                    continue
            c.run_error = proc.stderr[-4000:] or f"exit code {proc.returncode}"

    def _run_jobs(self, jobs, kernels: str, name: str) -> subprocess.CompletedProcess:
        jobfile = self.workdir / name
        jobfile.write_text("".join(f"{c.class_fqn} {i} {o} {c.mode}".rstrip() + "\n" for c, i, o in jobs))
        cp = os.pathsep.join([str(self.workdir / "classes"), str(self.src)])
        return subprocess.run([java_bin("java"), "-Xmx2g", *KERNEL_OPTIONS[kernels], "-cp", cp, "K2jRunner",
                               str(jobfile)], capture_output=True, text=True)

    def rerun(self, kernels: str) -> dict:
        """Run every compiled case again with ``kernels``; {case id: outputs}."""
        self.run()
        jobs = [(c, i, o.with_name(f"{o.stem}.{kernels}.bin")) for c, i, o in self._jobs]
        proc = self._run_jobs(jobs, kernels, f"jobs.{kernels}.txt")
        assert proc.returncode == 0, proc.stderr[-4000:]
        return {c.case_id: read_outputs(o) for c, _, o in jobs}

    @classmethod
    def of_cases(cls, workdir: Path, cases, prepare, seed: int, package: str, kernels: str = "auto") -> "JavaBatch":
        """Prepare every case with ``prepare(case, workdir, seed + n)`` (Keras
        builds, saves and records outputs), convert them all, then compile and
        run them at once.  Case n's class is ``<package>.c<n>.M``."""
        b = cls(workdir, kernels)
        for n, case in enumerate(cases):
            path, samples, expected = prepare(case, workdir, seed + n)
            b.add(case.id, path, samples, expected, package=f"{package}.c{n}", class_name="M",
                  weights=getattr(case, "weights", None),
                  architecture=case.architecture(path) if hasattr(case, "architecture") else None)
        b.run()
        return b

    def run_one(self, case_id: str, sample: Sequence[np.ndarray]):
        """Run one extra sample through an already compiled case; returns its
        result (the outputs, or the exception text the Java side reported)."""
        case = self.cases[case_id]
        tag = case_id.replace("/", "_")
        inp, out = self.workdir / f"{tag}_one_in.bin", self.workdir / f"{tag}_one_out.bin"
        write_inputs(inp, [sample])
        write_shapes(Path(f"{inp}.shapes"), [sample])
        jobs = self.workdir / f"{tag}_one_jobs.txt"
        jobs.write_text(f"{case.class_fqn} {inp} {out}\n")
        subprocess.run([java_bin("java"), "-cp", f"{self.workdir / 'classes'}{os.pathsep}{self.src}", "K2jRunner",
                        str(jobs)], check=True)
        (result,) = read_outputs(out)
        return result
