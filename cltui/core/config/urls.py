"""Checking an endpoint's base URL when it is given, not when the first call trips over it.

A port above 65535 or a URL without a host used to fail deep inside the HTTP stack, as an
"unexpected error" with an exception group. Checked here, the user gets one line naming the flag,
file or key. Credentials in a URL (`http://user:pass@host/v1`) are refused: a session stores its
config and errors print the URL, so a password there would end up on disk and on screen. Keys
belong in an environment variable named by `api_key_env` (or `--api-key-env`), sent only in the
Authorization header of that provider's requests.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f]")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@")


def redact_url(url: str) -> str:
    """The URL with any `user:password@` replaced by `***@`, safe to print or store."""
    return _USERINFO.sub(r"\1***@", url.strip())


def base_url_problem(url: str) -> str | None:
    """What is wrong with a base URL, phrased for the user (the URL shown redacted), or None."""
    shown = f"'{redact_url(url)}'"
    if _UNSAFE.search(url):
        shown = repr(redact_url(url))
        return f"{shown} contains spaces or control characters: write the URL alone"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{shown} is not a URL: write it like http://localhost:8000/v1"
    if parts.scheme not in ("http", "https"):
        return f"{shown} must start with http:// or https://"
    if "@" in parts.netloc:
        return (
            f"{shown} holds credentials (user:password@), which cltui would store in sessions "
            "and show in errors: remove them and put the key in an environment variable named by "
            "api_key_env (--api-key-env NAME with --base-url)"
        )
    if not parts.hostname:
        return f"{shown} has no host: write it like http://localhost:8000/v1"
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        return f"{shown} has a bad port: use a number from 1 to 65535, e.g. http://localhost:8000/v1"
    if parts.query or parts.fragment:
        return f"{shown} has a query or fragment (?... or #...): use the API's base path only"
    return None
