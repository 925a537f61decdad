"""A result cache on disk that is plain data, written safely and never trusted on reading.

One JSON file per key, ``<directory>/<key>.json``::

    {"format": "vae-verify-cache", "version": 1, "key": "<key>",
     "checksum": "<sha256 of the canonical JSON of [key, task, result]>",
     "task": {...the inputs of the run...}, "result": {...what the run returned...}}

*Canonical JSON* is ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``;
floats round-trip exactly through it, so a result read back equals the result written.  No pickles,
nothing executable: a cache file can be read, diffed and deleted by hand.

**Writes** (:meth:`Cache.put`) go to a fresh file made by :func:`tempfile.mkstemp` in the cache
directory (an unpredictable name, created with ``O_EXCL``, so a symlink planted at a guessable name is
never followed), are flushed and fsync'ed, and then :func:`os.replace` moves them onto ``<key>.json``
(a rename replaces a symlink found there; it never writes through it).  Readers therefore see either
the old complete entry or the new complete entry, never a partial one, and need no lock.  Writers take
a :class:`filelock.FileLock` on ``<directory>/.vae-verify.lock`` (opened with ``O_NOFOLLOW`` by
filelock) so that two processes writing the same key do so one after the other; if that lock cannot
be taken (e.g. a symlink planted at its name), the problem is reported and the write goes ahead
unlocked, which the atomic rename keeps safe.

**Reads** (:meth:`Cache.get`) open ``<key>.json`` with ``O_NOFOLLOW | O_NONBLOCK`` and accept only a
regular file.  An entry is used only if it parses, has exactly the envelope above, names this key
(and the same task inputs), its checksum matches (so a hand-edited count is caught), and its result
passes the caller's *schema*: either a mapping ``{name: type or tuple of types}`` of required fields
(``int`` does not accept ``bool``; ``float`` accepts ``int``) or a function ``result -> problem
string or None``.  Anything else (a corrupt, foreign, wrong-shaped ``{}``/``[]`` or edited entry, a
symlink, a FIFO) is reported as one line naming the file, through the ``report`` callback (default:
a WARNING on the ``verify.cache`` logger, which Python prints to stderr when logging is not
configured; not a Python warning) and treated as a miss, so the run is recomputed and the entry
rewritten.  The checksum detects accidents and edits, not an adversary (who can recompute it).

**Where** (:func:`resolve_cache_dir`, called by :class:`Cache`): the given directory (``--cache-dir``),
else ``$VAE_VERIFY_CACHE``, else ``$XDG_CACHE_HOME/vae-verify``, else ``~/.cache/vae-verify``.  It is
validated before any work: a path that is a file, lies under ``/proc``, ``/sys`` or ``/dev``, cannot be
created or is not writable gives a :class:`verify.VerifyError` naming the option or environment
variable the path came from, with the value as the user gave it.

Use::

    from verify.cache import Cache
    cache = Cache(args.cache_dir, schema={"loss": float, "zeros": int})   # VerifyError before any work
    hit = cache.get(key, task)          # the result dict, or None (miss, or a bad entry: reported)
    cache.put(key, task, result)        # atomic; returns the result as it will read back
"""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

from filelock import FileLock

from ._errors import VerifyError

__all__ = ["Cache", "resolve_cache_dir", "default_cache_dir", "canonical_json", "checksum", "FORMAT", "VERSION",
           "KEY_PATTERN"]

#: The envelope's format tag and version: bump VERSION when the envelope changes.
FORMAT = "vae-verify-cache"
VERSION = 1
#: Keys are file names: letters, digits, ``_`` and ``-`` only (no path separators, no dots).
KEY_PATTERN = re.compile(r"[0-9A-Za-z_-]{1,128}")
#: The lock every writer of one cache directory takes.
LOCK_NAME = ".vae-verify.lock"
#: Temporary files left by a killed writer are removed when older than this (seconds).
STALE_TEMPORARY_S = 3600.0
#: Largest entry read back (bytes): a cache entry is a few kB; anything huge is not ours.
MAX_ENTRY_BYTES = 256 * 2**20
_VIRTUAL = ("/proc", "/sys", "/dev")
_ENVELOPE = {"format", "version", "key", "checksum", "task", "result"}

_log = logging.getLogger("verify.cache")
Schema = Union[None, Mapping[str, Any], Callable[[dict], Optional[str]]]


def canonical_json(value: Any) -> str:
    """The one serialisation used for checksums, keys and files (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def checksum(key: str, task: Any, result: Any) -> str:
    """sha256 of the canonical JSON of ``[key, task, result]``."""
    return hashlib.sha256(canonical_json([key, task, result]).encode()).hexdigest()


def default_cache_dir() -> Path:
    """``$VAE_VERIFY_CACHE``, else ``$XDG_CACHE_HOME/vae-verify``, else ``~/.cache/vae-verify``."""
    return Path(_locate(None, "--cache-dir")[0]).expanduser()


def _locate(path, argument: str) -> tuple:
    """(path as given, name of the option/variable it came from, value to show in an error)."""
    if path is not None:
        return path, argument, path
    if os.environ.get("VAE_VERIFY_CACHE"):
        return os.environ["VAE_VERIFY_CACHE"], "VAE_VERIFY_CACHE", os.environ["VAE_VERIFY_CACHE"]
    if os.environ.get("XDG_CACHE_HOME"):
        xdg = os.environ["XDG_CACHE_HOME"]
        return os.path.join(xdg, "vae-verify"), "XDG_CACHE_HOME", xdg
    home = os.path.join(os.path.expanduser("~"), ".cache", "vae-verify")
    return home, "HOME", home


def resolve_cache_dir(path: Union[str, os.PathLike, None] = None, *, argument: str = "--cache-dir") -> Path:
    """The cache directory, created if needed and checked writable; else VerifyError naming its source.

    ``path`` is what the user gave (``argument`` names the option, e.g. ``--cache-dir``); ``None`` falls
    back to ``$VAE_VERIFY_CACHE``, ``$XDG_CACHE_HOME/vae-verify``, ``~/.cache/vae-verify``.
    """
    given, name, shown = _locate(path, argument)
    if not isinstance(given, (str, os.PathLike)) or not os.fspath(given):
        raise VerifyError(name, shown, "must be a directory path")
    target = Path(os.fspath(given)).expanduser()
    for root in _VIRTUAL:
        if any(p == root or p.startswith(root + os.sep) for p in (os.path.abspath(target), os.path.realpath(target))):
            raise VerifyError(name, shown, f"lies under {root}, a virtual file system; choose a directory on disk")
    if target.exists() and not target.is_dir():
        raise VerifyError(name, shown, "is a file, not a directory")
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise VerifyError(name, shown, f"cannot be created ({exc.strerror or exc})") from None
    try:
        fd, probe = tempfile.mkstemp(dir=target, prefix=".probe-", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise VerifyError(name, shown, f"is not writable ({exc.strerror or exc})") from None
    return target.absolute()


def _type_problem(value: Any, types: Any) -> Optional[str]:
    types = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in types:
        return f"is a bool, expected {'/'.join(t.__name__ for t in types)}"
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        return None
    if not isinstance(value, types):
        return f"is {type(value).__name__}, expected {'/'.join(t.__name__ for t in types)}"
    return None


def schema_problem(result: Any, schema: Schema) -> Optional[str]:
    """Why ``result`` does not fit ``schema`` (see the module docstring), or None."""
    if not isinstance(result, dict):
        return f"the result is {type(result).__name__}, not an object"
    if schema is None:
        return None
    if callable(schema):
        try:
            problem = schema(result)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            return f"the schema check failed ({type(exc).__name__}: {exc})"
        return problem or None
    for field, types in schema.items():
        if field not in result:
            return f"the result lacks {field!r}"
        problem = _type_problem(result[field], types)
        if problem:
            return f"the result's {field!r} {problem}"
    return None


class Cache:
    """A directory of JSON entries, one per key (see the module docstring for the guarantees).

    ``directory``: as the user gave it (None: the environment's default), validated at once;
    ``argument``: the option name used in errors; ``schema``: what a result must hold;
    ``report(line)``: called with one line per entry that is ignored.
    """

    def __init__(self, directory: Union[str, os.PathLike, None] = None, *, schema: Schema = None,
                 report: Optional[Callable[[str], None]] = None, argument: str = "--cache-dir"):
        if schema is not None and not callable(schema) and not isinstance(schema, Mapping):
            raise VerifyError("schema", schema, "must be a mapping of field -> type(s) or a function")
        self.directory = resolve_cache_dir(directory, argument=argument)
        self.schema = schema
        self.report = report if report is not None else _log.warning
        self._remove_stale_temporaries()

    def __repr__(self) -> str:
        return f"Cache({str(self.directory)!r})"

    def path(self, key: str) -> Path:
        """The file of ``key`` (VerifyError if the key is not a plain file name)."""
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            raise VerifyError("key", key, f"must match {KEY_PATTERN.pattern}")
        return self.directory / f"{key}.json"

    def get(self, key: str, task: Any = None) -> Optional[dict]:
        """The cached result of ``key``, or None if absent or not trustworthy (then reported).

        With ``task`` given, the entry must also have been made from the same task inputs.
        """
        path = self.path(key)
        try:
            text = self._read(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return self._bad(path, "is a symbolic link (not followed)")
            return self._bad(path, f"cannot be read ({exc.strerror or exc})")
        except _NotRegular as exc:
            return self._bad(path, str(exc))
        problem, result = self._check(text, key, task)
        if problem:
            return self._bad(path, problem)
        return result

    def put(self, key: str, task: Any, result: dict) -> dict:
        """Store ``result`` (made from ``task``) under ``key`` atomically; return it as it reads back.

        VerifyError if ``result`` is not JSON data or does not fit the schema (it would never be used).
        """
        path = self.path(key)
        try:
            body = canonical_json(result)
        except (TypeError, ValueError) as exc:
            raise VerifyError("result", key, f"is not plain JSON data ({exc})") from None
        plain = json.loads(body)
        problem = schema_problem(plain, self.schema)
        if problem:
            raise VerifyError("result", key, f"does not fit the cache schema: {problem}")
        task_plain = json.loads(canonical_json(task))
        entry = {"format": FORMAT, "version": VERSION, "key": key, "checksum": checksum(key, task_plain, plain),
                 "task": task_plain, "result": plain}
        data = (canonical_json(entry) + "\n").encode()
        lock = FileLock(str(self.directory / LOCK_NAME), timeout=60)
        try:
            lock.acquire()
        except OSError as exc:
            self.report(f"cache: cannot lock {self.directory / LOCK_NAME} ({exc.strerror or exc}); writing unlocked")
            lock = None
        try:
            self._write(path, data)
        finally:
            if lock is not None:
                lock.release()
        return plain

    # -- internals -----------------------------------------------------------------------------

    def _bad(self, path: Path, problem: str) -> None:
        self.report(f"cache: ignoring {path}: {problem}; recomputing")
        return None

    @staticmethod
    def _read(path: Path) -> str:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise _NotRegular("is not a regular file")
            if info.st_size > MAX_ENTRY_BYTES:
                raise _NotRegular(f"is {info.st_size} bytes, larger than any entry")
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(MAX_ENTRY_BYTES + 1)
        finally:
            os.close(fd)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotRegular("is not UTF-8 text") from None

    def _check(self, text: str, key: str, task: Any) -> tuple:
        try:
            entry = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return f"is not JSON ({type(exc).__name__}: {exc})", None
        if not isinstance(entry, dict):
            return f"is a JSON {type(entry).__name__}, not a cache entry", None
        if entry.get("format") != FORMAT or set(entry) != _ENVELOPE:
            return "is not a vae-verify cache entry (wrong format or fields)", None
        if entry["version"] != VERSION:
            return f"has cache format version {entry['version']!r}, not {VERSION}", None
        if entry["key"] != key:
            return f"belongs to key {entry['key']!r}, not {key!r}", None
        if task is not None and canonical_json(entry["task"]) != canonical_json(task):
            return "was made from other task inputs", None
        try:
            ok = entry["checksum"] == checksum(key, entry["task"], entry["result"])
        except (TypeError, ValueError):
            ok = False
        if not ok:
            return "checksum mismatch (the entry was changed after it was written)", None
        problem = schema_problem(entry["result"], self.schema)
        if problem:
            return problem, None
        return None, entry["result"]

    def _write(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def _remove_stale_temporaries(self) -> None:
        now = time.time()
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            if name.startswith(".") and name.endswith(".tmp"):
                p = self.directory / name
                try:
                    info = os.lstat(p)
                    if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_TEMPORARY_S:
                        os.unlink(p)
                except OSError:
                    pass


class _NotRegular(Exception):
    """A cache path that is not a readable regular text file."""
