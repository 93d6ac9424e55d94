"""Output folders: one command at a time, written whole or not at all, replaced only if basesim wrote them.

Three rules protect a folder that a command writes (``--out DIR`` or
:meth:`RunResult.save <basesim.montecarlo.results.RunResult.save>`):

- **One writer at a time.** A writer holds an exclusive ``fcntl.flock`` on
  the lock file ``.DIR.lock`` next to the folder (not inside it: the folder
  itself is renamed into place); a second command that wants the same folder
  is refused at once, naming the process that holds it. The lock file is
  removed when its holder is done.
- **Whole or absent.** :func:`staged_folder` writes into a temporary sibling
  (``.DIR.new-*``) and renames it into place last (``os.rename`` within one
  folder is atomic on POSIX), so a results folder is either complete or
  absent; an interrupted write removes the sibling. Replacing a folder takes
  two renames (the old one aside, the new one in), during which Ctrl-C and
  SIGTERM are held back until both are done.
- **Never someone else's folder.** A folder that exists, holds something and
  was not written by basesim (:func:`written_by_basesim`) is refused unless
  the caller passes ``force`` (``--force``), and then replaced whole. The
  current folder, its ancestors and the home folder are always refused.

Windows has no ``fcntl``: there the lock is skipped (the other rules hold).
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import json
import os
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from basesim.errors import OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "check_output",
    "check_writable",
    "claim_output",
    "deferred_signals",
    "folder_lock",
    "in_use",
    "lock_path",
    "release_claims",
    "staged_folder",
    "written_by_basesim",
]


# --- whose folder is it ---------------------------------------------------------------------------


def _provenance_of(folder: Path) -> bool:
    path = folder / "provenance.json"
    try:
        if not path.is_file() or path.stat().st_size > 16 * 2**20:
            return False
        return isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError, RecursionError):
        return False


#: Files a comparison (``basesim compare``, ``basesim run --protocol all``) writes next to its run folders.
_COMPARISON_FILES = ("comparison.csv", "compare-*.png", "compare-*.svg", "compare-*.pdf")


def _a_comparison_or_cache(folder: Path) -> bool:
    """Only what basesim writes: run folders, a comparison's files, a sweep's cache, figures (hidden files aside)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return False
    ours = False
    for entry in entries:
        if entry.name.startswith("."):
            continue  # lock files and leftovers of the folders inside
        if entry.is_dir():
            if _provenance_of(entry) or (entry.name == "cache" and (entry / "points").is_dir()):
                ours = True
            elif entry.name != "figures":
                return False
        elif not any(fnmatch.fnmatch(entry.name, pattern) for pattern in _COMPARISON_FILES):
            return False
    return ours


def written_by_basesim(folder: str | Path) -> bool:
    """Whether ``folder`` is empty or holds what basesim writes.

    That is: a ``provenance.json`` (runs, sweeps, sensitivity analyses,
    forecasts); only run folders and a comparison's files (comparisons, also
    interrupted ones); a sweep's ``cache``; or it is the ``figures`` or
    ``cache`` folder of such a folder.
    """
    folder = Path(folder)
    try:
        if not any(folder.iterdir()):
            return True
    except OSError:
        return False
    if _provenance_of(folder) or _a_comparison_or_cache(folder):
        return True
    parent = folder.parent
    return folder.name in ("figures", "cache") and (_provenance_of(parent) or _a_comparison_or_cache(parent))


def _listing(folder: Path) -> str:
    try:
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    except OSError:
        return "unreadable"
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _guarded(folder: Path) -> bool:
    """The current folder, one of its ancestors, or the home folder: never a results folder."""
    try:
        target = folder.resolve()
        here = Path.cwd().resolve()
    except OSError:
        return False
    try:
        home = Path.home().resolve()
    except (OSError, RuntimeError):  # no home folder known
        home = None
    return target == here or target in here.parents or target == home


def check_writable(folder: str | Path, *, option: str = "out") -> Path:
    """Make sure results can be written to ``folder`` (created later if missing).

    Checks the folder, or its nearest existing ancestor, is a writable folder
    by creating and removing a temporary file there; nothing is left behind.
    Raises :class:`~basesim.errors.OutputError` saying why not.
    """
    folder = Path(folder)
    _check_writable(folder, folder, option=option)
    return folder


def _check_writable(folder: Path, start: Path, *, option: str) -> None:
    """``folder`` is not a file, and ``start`` or its nearest existing ancestor is a folder one can write in.

    Writability is checked by creating and removing a temporary file there
    (nothing is left behind). Raises :class:`~basesim.errors.OutputError`
    naming ``option`` and ``folder``.
    """
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{option}: cannot write results to {str(folder)!r}: it is a file, not a folder")
    ancestor = start
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(
            f"{option}: cannot create the folder {str(folder)!r}: {str(ancestor)!r} is a file, not a folder"
        )
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as exc:
        raise OutputError(f"{option}: cannot write results to {str(folder)!r}: {exc.strerror or exc}") from exc


def check_output(folder: str | Path, *, option: str = "--out", force: bool = False,
                 force_hint: str = "--force") -> Path:
    """Refuse (:class:`~basesim.errors.OutputError`) a folder that cannot or must not be written.

    The folder may be missing (it is created), empty, or one basesim wrote; with
    ``force`` any folder but the current one, its ancestors and the home folder.
    Its nearest existing ancestor must be a writable folder (checked by creating
    and removing a temporary file: nothing is left behind).
    """
    folder = Path(folder)
    if str(folder) in ("", "."):
        raise OutputError(f"{option}: give the results a folder of their own, e.g. {option} results/my-run "
                          f"(got {str(folder)!r}: an empty name or '.' is the current folder)")
    if _guarded(folder):
        raise OutputError(f"{option}: {str(folder)!r} is the current folder, one that holds it, or the home "
                          "folder; basesim writes results into a folder of their own")
    _check_writable(folder, folder.parent, option=option)  # the folder is staged in, and renamed from, its parent
    if folder.is_dir() and not force and not written_by_basesim(folder):
        raise OutputError(
            f"{option}: {str(folder)!r} already holds files that basesim did not write ({_listing(folder)}); "
            f"give a new folder, or {force_hint} to replace it and everything in it"
        )
    return folder


# --- one writer at a time ---------------------------------------------------------------------------


def lock_path(folder: str | Path) -> Path:
    """The lock file of ``folder``: ``.NAME.lock`` in the folder's parent."""
    folder = Path(os.path.abspath(folder))
    return folder.parent / f".{folder.name}.lock"


def in_use(folder: str | Path) -> bool:
    """Whether another process (or this one) holds the lock of ``folder`` right now."""
    path = lock_path(folder)
    if str(path) in _HELD:
        return True
    if fcntl is None or not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


@dataclass
class _Held:
    fd: int | None
    count: int = 1
    created: list[Path] = field(default_factory=list)


#: Locks this process holds, by lock file, with how many times each was taken (the lock is re-entrant).
_HELD: dict[str, _Held] = {}
#: Folders claimed for the current command (released by :func:`release_claims`).
_CLAIMS: list[Path] = []


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing ancestors; return the ones created, deepest first."""
    missing = []
    probe = folder
    while not probe.exists() and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    for path in folders:  # deepest first
        with contextlib.suppress(OSError):
            path.rmdir()


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (process {text})" if text.isdigit() else ""


def _acquire(folder: Path, option: str) -> None:
    path = lock_path(folder)
    key = str(path)
    if key in _HELD:
        _HELD[key].count += 1
        return
    try:
        created = _make_parents(path.parent)
    except OSError as exc:
        raise OutputError(f"{option}: cannot create the folder {str(path.parent)!r}: {exc.strerror or exc}") from exc
    if fcntl is None:  # pragma: no cover - Windows
        _HELD[key] = _Held(None, 1, created)
        return
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            _remove_if_empty(created)
            raise OutputError(f"{option}: cannot write results to {str(folder)!r}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            _remove_if_empty(created)
            raise OutputError(f"{option}: {str(folder)!r} is being written by another basesim command{holder}; "
                              "wait for it to finish, or give another folder") from None
        try:  # the holder before us may have removed the file after we opened it: lock the file that is there
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _HELD[key] = _Held(fd, 1, created)


def _release(folder: Path) -> None:
    path = lock_path(folder)
    held = _HELD.get(str(path))
    if held is None:
        return
    held.count -= 1
    if held.count > 0:
        return
    del _HELD[str(path)]
    if held.fd is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still locked, so that no one locks a file about to vanish unseen
        with contextlib.suppress(OSError):
            fcntl.flock(held.fd, fcntl.LOCK_UN)
        os.close(held.fd)
    _remove_if_empty(held.created)


@contextlib.contextmanager
def folder_lock(folder: str | Path, *, option: str = "--out") -> Iterator[Path]:
    """Hold the lock of ``folder`` (re-entrant within a process); :class:`OutputError` if another holds it."""
    folder = Path(folder)
    _acquire(folder, option)
    try:
        yield folder
    finally:
        _release(folder)


def claim_output(folder: str | Path, *, option: str = "--out", force: bool = False, staged: bool = False) -> Path:
    """Check ``folder`` (:func:`check_output`) and lock it until :func:`release_claims` (the end of the command).

    For a command that writes its files into the folder as it goes: with
    ``force``, a folder basesim did not write is removed now. ``staged``: the
    command replaces the folder whole when it saves (:func:`staged_folder`,
    given ``force`` again), so nothing is removed now.
    """
    folder = check_output(folder, option=option, force=force)
    _acquire(folder, option)
    _CLAIMS.append(folder)
    if force and not staged and folder.is_dir() and not written_by_basesim(folder):
        try:
            _discard(folder)
        except OSError as exc:
            raise OutputError(f"{option}: cannot replace {str(folder)!r}: {exc.strerror or exc}") from exc
    return folder


def release_claims() -> None:
    """Release every folder claimed since the last call (the CLI calls this when a command ends)."""
    while _CLAIMS:
        _release(_CLAIMS.pop())


# --- whole or absent -------------------------------------------------------------------------------


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM for the duration; deliver them (once) afterwards.

    Only the main thread may change signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    wanted = [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]
    previous = {s: signal.signal(s, lambda number, frame: caught.append(number)) for s in wanted}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if caught:
            signal.raise_signal(caught[0])


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _discard(path: Path) -> None:
    """Remove a folder (or a symbolic link to one): rename it aside first, so it vanishes at once."""
    if path.is_symlink():
        path.unlink()
        return
    aside = path.parent / f".{path.name}.old-{secrets.token_hex(4)}"
    os.rename(path, aside)
    shutil.rmtree(aside, ignore_errors=True)


def _remove_leftovers(folder: Path) -> None:
    """Temporary siblings of ``folder`` left by a process that was killed (called with the lock held)."""
    pattern = glob.escape(str(folder.parent / f".{folder.name}."))
    for leftover in glob.glob(pattern + "new-*") + glob.glob(pattern + "old-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _swap_in(stage: Path, folder: Path) -> None:
    if not (folder.exists() or folder.is_symlink()):
        os.rename(stage, folder)
        return
    aside = folder.parent / f".{folder.name}.old-{secrets.token_hex(4)}"
    os.rename(folder, aside)
    try:
        os.rename(stage, folder)
    except BaseException:
        os.rename(aside, folder)
        raise
    if aside.is_symlink():
        aside.unlink()
    else:
        shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(folder: str | Path, *, option: str = "folder", force: bool = False,
                  force_hint: str = "force=True") -> Iterator[Path]:
    """Write a folder whole or not at all: yield a temporary sibling to write into, rename it into place after.

    The folder is checked (:func:`check_output`) and locked first; an existing
    one is replaced whole. On any exception (Ctrl-C included) the sibling is
    removed and the folder is left as it was.
    """
    folder = check_output(folder, option=option, force=force, force_hint=force_hint)
    with folder_lock(folder, option=option):
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            _remove_leftovers(folder)
            stage = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.new-"))
            os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700; give the usual permissions
        except OSError as exc:
            raise OutputError(f"{option}: cannot write to {str(folder)!r}: {exc.strerror or exc}") from exc
        try:
            yield stage
            _fsync_folder(stage)
            with deferred_signals():
                try:
                    _swap_in(stage, folder)
                except OSError as exc:
                    raise OutputError(f"{option}: cannot put {str(folder)!r} in place: {exc.strerror or exc}") from exc
                _fsync_folder(folder.parent)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise

