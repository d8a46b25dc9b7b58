"""The JVMs and settings the benchmarks run in, and what a run records about the machine.

A setting is a JDK, its JVM flags and the ``keras2java.kernels`` value the benchmark asks for
(``default``: none, so the runtime picks as it does for a user who sets nothing).  The JDKs:
``K2J_JDK17`` (else ``java`` on PATH or the first JDK 17 under /usr/lib/jvm) and
``K2J_BENCH_JAVA`` (else the newest JDK under /usr/lib/jvm, at least 21).
"""
from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def java_major(java: str) -> int:
    ver = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    try:
        return int(ver.split('"')[1].split(".")[0])
    except (IndexError, ValueError):
        return 0


def java_version(java: str) -> str:
    return subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()[0]


def _installed() -> list[str]:
    found = [shutil.which("java") or "java"]
    found += [str(p / "bin" / "java") for p in sorted(Path("/usr/lib/jvm").glob("*/")) if (p / "bin" / "java").is_file()]
    return found


@functools.lru_cache(maxsize=None)
def jdk17() -> str:
    if os.environ.get("K2J_JDK17"):
        return os.environ["K2J_JDK17"]
    for java in _installed():
        if java_major(java) == 17:
            return java
    raise SystemExit("no JDK 17 found: set K2J_JDK17")


@functools.lru_cache(maxsize=None)
def newest() -> str:
    """The newest JDK (25+ where installed: there the vector kernels are picked with the module)."""
    if os.environ.get("K2J_BENCH_JAVA"):
        return os.environ["K2J_BENCH_JAVA"]
    best = max(_installed(), key=java_major)
    if java_major(best) < 21:
        raise SystemExit("no JDK 21 or newer found: set K2J_BENCH_JAVA")
    return best


@dataclass(frozen=True)
class Setting:
    key: str
    jdk: str          # "17" or "newest"
    flags: tuple[str, ...]
    kernels: str      # JavaBench's kernels parameter: default, portable or vector

    @property
    def java(self) -> str:
        return jdk17() if self.jdk == "17" else newest()

    @property
    def label(self) -> str:
        n = java_major(self.java)
        return {"default17": f"default, JDK {n}", "default": f"default, JDK {n}",
                "portable": f"portable (Java 8, Android), JDK {n}", "vector": f"vector, JDK {n}",
                "intraop": f"default + 2 intra-op threads, JDK {n}",
                "vectorintraop": f"vector + 2 intra-op threads, JDK {n}"}[self.key]

    def jvm_options(self) -> list[str]:
        """Flags plus the property for an explicit choice (what a user would pass)."""
        prop = [] if self.kernels == "default" else [f"-Dkeras2java.kernels={self.kernels}"]
        return [*self.flags, *prop]


SETTINGS = (
    Setting("default17", "17", (), "default"),
    Setting("portable", "17", (), "portable"),
    Setting("default", "newest", (), "default"),
    Setting("vector", "newest", ("--add-modules", "jdk.incubator.vector"), "vector"),
    # Batch 1 only: the opt-in intra-op threads (two threads share large products and convolutions; wall time).
    Setting("intraop", "newest", ("-Dkeras2java.intraOpThreads=2",), "default"),
    Setting("vectorintraop", "newest", ("--add-modules", "jdk.incubator.vector", "-Dkeras2java.intraOpThreads=2"),
            "vector"),
)


def load() -> list[float]:
    """The 1-, 5- and 15-minute load averages."""
    return [round(v, 2) for v in os.getloadavg()]


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "java-runtime", "codegen",
                            "templates"], capture_output=True, text=True).stdout.strip()
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "cpu": cpu, "cores": os.cpu_count(),
            "commit": commit + (" (modified)" if dirty else ""),
            "jdks": {"17": java_version(jdk17()), "newest": java_version(newest())},
            "load_start": load()}
