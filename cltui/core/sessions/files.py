"""Session files on disk: written so that no crash loses work, read with one clear error.

A session is rewritten after every finished reply, so the text is produced in full before
anything touches the disk, then written to a temporary file in the same folder, flushed, fsynced
and moved over the old file with `os.replace`. An outside reader sees the old file or the new
one, never half of either.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
import tomllib
from pathlib import Path

from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.from_data import session_from_dict
from cltui.core.sessions.model import Session, now_iso
from cltui.core.sessions.safe_text import encode_utf8
from cltui.core.sessions.toml_text import TomlRenderer
from cltui.core.text import display_line


def atomic_write_bytes(path: Path, data: bytes, *, new_file_mode: int = 0o600) -> None:
    """Replace `path` with `data` so that readers only ever see the old or the new content.

    The temporary file sits in the same folder (os.replace is atomic only within one file
    system) and is removed if anything fails. An existing file keeps its permissions; a new one
    gets `new_file_mode`, private to the user by default, as conversations may be."""
    path = Path(path)
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = new_file_mode
        with contextlib.suppress(OSError):
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows opening a folder."""
    if os.name == "nt":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_session(session: Session, path: Path, renderer: TomlRenderer) -> None:
    """Stamp `updated_at` and write the file; raises SessionError. The renderer is the
    caller's so that a recorder keeps the text of unchanged turns from one save to the next."""
    session.updated_at = now_iso()
    try:
        data = encode_utf8(renderer.render(session))
    except (TypeError, ValueError) as error:
        raise SessionError.at(str(path), "", f"cannot save: {error}") from None
    try:
        atomic_write_bytes(path, data)
    except (FileExistsError, NotADirectoryError):  # a file where the folder should be
        problem = f"cannot save: {_first_file_in(path.parent)} is a file, not a folder"
        raise SessionError.at(str(path), "", problem) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise SessionError.at(str(path), "", f"cannot save: {reason}") from None


def _first_file_in(folder: Path) -> Path:
    """The part of a folder path that exists as a regular file (the folder itself if none)."""
    for part in [*reversed(folder.parents), folder]:
        if part.exists() and not part.is_dir():
            return part
    return folder


def remove_stale_temp_files(path: Path) -> None:
    """Delete the temporary files earlier saves of this session left behind when their process
    was killed between writing and renaming. Only this session's own (`.NAME.*.tmp`), and only
    by its one writer (see `lock`), so no save in progress is ever removed."""
    path = Path(path)
    pattern = os.path.join(glob.escape(str(path.parent)), f".{glob.escape(path.name)}.*.tmp")
    for stale in glob.glob(pattern):
        with contextlib.suppress(OSError):
            os.unlink(stale)


def is_shipped_example(path: Path) -> bool:
    """Whether the file is one of the example sessions shipped with cltui (`example-*.toml`):
    those are read, never rewritten; continuing one writes a copy."""
    name = Path(path).name
    return name.startswith("example-") and name.endswith(".toml")


MAX_SESSION_BYTES = 128 * 1024 * 1024
"""Far above any real session (50 turns x 3 rounds x 8 long replies is about 10 MB); a file
past it is refused rather than read into memory."""


def is_session_file(path: Path) -> bool:
    """Whether the file holds a cltui session (a TOML table with the session's own keys)."""
    return _session_header(path) is not None


def _session_header(path: Path) -> dict[str, object] | None:
    """The top-level table of a session file; None when the file is not a session."""
    try:
        if Path(path).stat().st_size > MAX_SESSION_BYTES:
            return None
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    if "schema_version" in data and "id" in data and "config" in data:
        return data
    return None


def check_save_target(path: Path, session_id: str | None = None) -> None:
    """Raise `SessionError` when a session cannot be saved at `path`, before anything is spent.

    Checked: the path is not a folder; no part of its folder is a regular file; the folder (or
    the nearest one that exists, when it is still to be made) takes new files; and an existing
    file there is this session (`session_id`) or empty, never another session, a config or
    anything else the user would lose."""
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise SessionError.at(
            source, "", f"is a folder; give a file name, e.g. {path / 'session.toml'}"
        )
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise SessionError.at(
            source, "", f"cannot save: {existing} is a file, not a folder; choose another place"
        )
    if existing == folder:
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".cltui-probe-", suffix=".tmp")
        except OSError as error:
            reason = error.strerror or str(error)
            raise SessionError.at(source, "", f"cannot save in {folder}: {reason}") from None
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
    elif not os.access(existing, os.W_OK | os.X_OK):
        raise SessionError.at(source, "", f"cannot create {folder}: {existing} is not writable")
    if not path.is_file() or path.stat().st_size == 0:
        return
    header = _session_header(path)
    if header is None:
        raise SessionError.at(
            source, "", "exists and is not a cltui session; not overwritten: choose another file"
        )
    if session_id is not None and header.get("id") != session_id:
        title = display_line(str(header.get("title") or ""))[:60] or "untitled"
        raise SessionError.at(
            source, "", f"holds another session ('{title}'); not overwritten: continue it with "
            f"--resume {path}, or choose another file",
        )  # fmt: skip


def save_session(session: Session, path: str | os.PathLike[str]) -> None:
    """Write the session (updating `updated_at`) atomically; raises SessionError."""
    write_session(session, Path(path), TomlRenderer())


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read a session file. Raises SessionError with one clear line; never writes the file."""
    source = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_SESSION_BYTES + 1)
    except FileNotFoundError:
        raise SessionError.at(source, "", "no such session file") from None
    except IsADirectoryError:
        raise SessionError.at(source, "", "is a folder, not a session file") from None
    except OSError as error:
        raise SessionError.at(source, "", f"cannot read: {error.strerror or error}") from None
    if len(raw) > MAX_SESSION_BYTES:
        limit = MAX_SESSION_BYTES // (1024 * 1024)
        raise SessionError.at(source, "", f"is larger than {limit} MB: is it a cltui session?")
    try:
        text = raw.decode("utf-8-sig")  # an editor's byte-order mark is not part of the text
    except UnicodeDecodeError as error:
        problem = f"not a text file (invalid UTF-8 at byte {error.start})"
        raise SessionError.at(source, "", problem) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SessionError.at(source, "", f"not valid TOML: {error}") from None
    except RecursionError:
        raise SessionError.at(source, "", "lists or tables nest too deeply: damaged") from None
    return session_from_dict(data, source)


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def session_file_name(session: Session) -> str:
    """`<id>.toml`, with anything that could leave the folder or confuse a shell replaced."""
    stem = _UNSAFE_FILE_CHARS.sub("_", session.id).lstrip(".") or "session"
    return f"{stem}.toml"


def default_session_path(sessions_dir: str | os.PathLike[str], session: Session) -> Path:
    """Where a session is saved unless the user says otherwise."""
    return Path(sessions_dir) / session_file_name(session)
