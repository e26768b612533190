"""Files only the system's account may read (私有文件权限): folders 0700, files 0600.

What the system writes under its var dir holds personal data or what leads to it (layers, reports, run
storage, databases), so the modes are set explicitly — never left to the umask, which is 022 on most
systems (world-readable). Files written by third-party code (Great Expectations, Dagster, SQLite) are
created inside folders that are already 0700 and tightened afterwards with `tighten`.
"""
from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600


def private_dir(path: Path | str) -> Path:
    """Create `path` (and missing parents) and set 0700 on every folder created and on `path` itself."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:  # made meanwhile by another process
            pass
        os.chmod(d, DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def open_private(path: Path | str, mode: str = "wb", **kwargs):
    """`open` for a new or truncated file with mode 0600 (set again after opening: a file that existed
    keeps its old mode through O_CREAT)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode, **kwargs)


def write_private(path: Path | str, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write `path` atomically (a temporary file beside it, then `os.replace`) with mode 0600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    raw = data.encode(encoding) if isinstance(data, str) else data
    with open_private(tmp) as fh:
        fh.write(raw)
    os.replace(tmp, path)
    return path


def tighten(root: Path | str) -> int:
    """Set 0700 on `root` and every folder under it, 0600 on every file (symbolic links are not followed);
    return how many modes changed. A missing root is nothing to do."""
    root = Path(root)
    if not root.exists():
        return 0
    changed = _chmod(root, DIR_MODE if root.is_dir() else FILE_MODE)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            changed += _chmod(Path(dirpath, name), DIR_MODE)
        for name in filenames:
            changed += _chmod(Path(dirpath, name), FILE_MODE)
    return changed


def _chmod(path: Path, mode: int) -> int:
    try:
        st = path.lstat()
    except FileNotFoundError:  # removed meanwhile (a temporary file)
        return 0
    if stat.S_ISLNK(st.st_mode) or stat.S_IMODE(st.st_mode) == mode:
        return 0
    os.chmod(path, mode)
    return 1
