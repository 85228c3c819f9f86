"""Session files: how a `Session` becomes TOML on disk and comes back, exactly as written.

The pieces, each in its own module:
- `model`: the session itself, as plain data: turns, rounds, replies, judgements.
- `errors`: `SessionError`, the one-line message every failure below is phrased as.
- `to_data` / `from_data`: a session as plain tables and lists, and back with every field
  checked (DESIGN §6).
- `toml_text`: the TOML text itself, with a lean writer for the turns.
- `files`: atomic writes, `save_session`, `load_session`, file names.
- `recorder`: `SessionRecorder`, the event sink that keeps the file current during a run.
- `safe_text`: one-line display text, titles made from prompts, UTF-8 that never fails.
- `listing`: the session picker's summaries and finding the file a user means.
- `lock`: one writer per session file; `seal`: which endpoints a session may send keys to.

Import from the module that defines a name; this package re-exports nothing.
"""
