"""The one error every session file problem is raised as."""

from __future__ import annotations


class SessionError(ValueError):
    """A session file problem, phrased for the user: which file, which key, what to do."""

    def __init__(self, message: str, *, source: str = "", key: str = "") -> None:
        self.source = source
        self.key = key
        super().__init__(message)

    @classmethod
    def at(cls, source: str, key: str, problem: str) -> SessionError:
        """An error located in a file and, when known, at a key path inside it."""
        where = f"{source}: {key}: " if key else f"{source}: "
        return cls(where + problem, source=source, key=key)
