"""Session files under the import path used across cltui: every name of `cltui.core.sessions`.

The code lives in the `cltui.core.sessions` package, one concern per module (plain data, TOML
text, files, the recorder, listing); this module gathers their public names so that
`from cltui.core.session_store import load_session` and the like keep working.
"""

from __future__ import annotations

from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.files import (
    atomic_write_bytes,
    default_session_path,
    load_session,
    save_session,
    session_file_name,
)
from cltui.core.sessions.from_data import (
    REPLY_ROLES,
    SAVED_REPLY_STATUSES,
    SESSION_STATUSES,
    session_from_dict,
)
from cltui.core.sessions.listing import (
    SessionSummary,
    list_sessions,
    resolve_session_ref,
    summarize,
)
from cltui.core.sessions.recorder import SAVE_EVENTS, SessionRecorder
from cltui.core.sessions.safe_text import (
    TITLE_LENGTH,
    clean_line,
    encode_utf8,
    scrub_surrogates,
    title_from_prompt,
)
from cltui.core.sessions.to_data import reply_to_dict, session_to_dict, turn_to_dict
from cltui.core.sessions.toml_text import session_to_toml

__all__ = [
    "REPLY_ROLES",
    "SAVED_REPLY_STATUSES",
    "SAVE_EVENTS",
    "SESSION_STATUSES",
    "TITLE_LENGTH",
    "SessionError",
    "SessionRecorder",
    "SessionSummary",
    "atomic_write_bytes",
    "clean_line",
    "default_session_path",
    "encode_utf8",
    "list_sessions",
    "load_session",
    "reply_to_dict",
    "resolve_session_ref",
    "save_session",
    "scrub_surrogates",
    "session_file_name",
    "session_from_dict",
    "session_to_dict",
    "session_to_toml",
    "summarize",
    "title_from_prompt",
    "turn_to_dict",
]
