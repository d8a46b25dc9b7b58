"""Walk an HDF5 file in a throw-away child process before reading it.

The HDF5 C library can loop forever or crash on a corrupt or hostile file
(found by ``tests/test_fuzz.py``: a mutated global heap makes reading a
variable-length string attribute spin inside ``H5Aread``).  Python cannot
interrupt C code, so a timeout in this process would not help.  Instead a
forked child first touches everything the reader will touch (every attribute,
every dataset reachable through hard links); if the child hangs it is killed,
if it crashes we report that.  Either way the caller gets a
:class:`ModelFileError` instead of a hung or crashed converter.

Ordinary exceptions in the child are ignored: the real reader meets them
again in this process and reports them with their proper message.  Where
``os.fork`` does not exist (Windows) the probe is skipped.
"""
from __future__ import annotations

import os
import signal
import time
from typing import Any, Callable

import h5py

from ..errors import ModelFileError
from .h5util import MAX_ELEMENTS

#: Seconds allowed for the walk: a base plus time proportional to the file size.
BASE_SECONDS = 20.0
BYTES_PER_SECOND = 20e6


def default_timeout(size: int) -> float:
    return BASE_SECONDS + size / BYTES_PER_SECOND


def probe_hdf5(open_file: Callable[[], Any], path: str, timeout: float) -> None:
    """Run :func:`walk` on ``open_file()`` in a child; raise if it hangs or crashes."""
    if not hasattr(os, "fork"):
        return
    pid = os.fork()
    if pid == 0:  # child: never return into the caller's stack
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            with open_file() as h5:
                walk(h5)
        except BaseException:  # noqa: BLE001 - the parent re-reads and reports
            code = 1
        os._exit(code)
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise ModelFileError(
                f"{path}: reading the HDF5 structure did not finish within {timeout:.0f} s; "
                "the file is corrupt (or built to hang readers)")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    if os.WIFSIGNALED(status):
        raise ModelFileError(
            f"{path}: the HDF5 library crashed reading this file (signal {os.WTERMSIG(status)}); the file is corrupt")


def walk(group: Any, seen: "set | None" = None) -> None:
    """Touch every attribute and dataset reachable from ``group`` through hard links."""
    seen = set() if seen is None else seen
    if group.id in seen:  # hard links may form cycles or diamonds
        return
    seen.add(group.id)
    _attrs(group)
    for name in list(group.keys()):
        link = group.get(name, getlink=True)
        if not isinstance(link, h5py.HardLink):
            continue  # the reader refuses soft and external links itself
        obj = group.get(name)
        if isinstance(obj, h5py.Group):
            walk(obj, seen)
        elif isinstance(obj, h5py.Dataset):
            _attrs(obj)
            if obj.is_virtual or obj.external or obj.shape is None:
                continue
            n = 1
            for d in obj.shape:
                n *= int(d)
            if n <= MAX_ELEMENTS:
                obj[()]


def _attrs(obj: Any) -> None:
    for key in list(obj.attrs.keys()):
        obj.attrs[key]
