"""Which endpoints a session file may send the user's keys to: those this user's own cltui wrote.

A session holds its config, provider tables included (`base_url`, `api_key_env`), so it can be
resumed anywhere. But session files travel: one received from someone else could name any host
and any environment variable (`GITHUB_TOKEN`), or re-point a provider whose key sits in the
user's settings, and resuming it would send that secret there. So when cltui writes a session it
seals the provider tables with an HMAC under a secret that never leaves this user's config
folder; on reopening, a session whose seal does not match (written elsewhere, or its providers
edited by hand) keeps its endpoints but gets no key for any provider that differs from the
built-in one (`withhold_keys`). Giving the config again (`cltui run CONFIG --resume SESSION`)
supplies trusted provider tables. Losing the secret only costs that step, never a key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from cltui.core.config import BUILTIN_PROVIDERS, ConsensusConfig, ProviderSpec
from cltui.core.paths import config_dir

SECRET_FILE = "session-seal.key"


def _secret(create: bool) -> bytes | None:
    """This user's sealing secret; made (readable by the user only) when `create` is set."""
    path = config_dir() / SECRET_FILE
    with contextlib.suppress(OSError, ValueError):
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    if not create:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _secret(create=False)
    except OSError:
        return None  # unsealed sessions then need their config again to get keys: never unsafe
    value = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(value.hex() + "\n")
    return value


def _digest(secret: bytes, providers: Mapping[str, Any]) -> str:
    canonical = json.dumps(providers, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(secret, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def seal_providers(config: Mapping[str, Any]) -> str:
    """The seal of a session config's provider tables ("" when there is nothing to seal)."""
    providers = config.get("providers") or {}
    if not providers:
        return ""
    secret = _secret(create=True)
    return _digest(secret, providers) if secret else ""


def seal_matches(config: Mapping[str, Any], seal: str) -> bool:
    """Whether `seal` is this user's seal of the config's provider tables."""
    providers = config.get("providers") or {}
    if not providers:
        return True
    secret = _secret(create=False)
    return bool(seal and secret) and hmac.compare_digest(_digest(secret, providers), seal)  # type: ignore[arg-type]


def _same_endpoint(spec: ProviderSpec, builtin: ProviderSpec) -> bool:
    return (spec.base_url.rstrip("/"), spec.api_key_env, spec.kind) == (
        builtin.base_url.rstrip("/"), builtin.api_key_env, builtin.kind
    )  # fmt: skip


def withhold_keys(
    config: ConsensusConfig, source: str | Path, trusted: Mapping[str, ProviderSpec] = {}
) -> ConsensusConfig:
    """The config with every provider the session file defines (other than as built in, and
    than `trusted`) marked to get no key, saying why and what to do."""
    changed: dict[str, ProviderSpec] = {}
    for name, spec in config.providers.items():
        builtin = BUILTIN_PROVIDERS.get(name)
        if name in trusted or (builtin is not None and _same_endpoint(spec, builtin)):
            continue
        which = spec.api_key_env or f"the api_key under [providers.{name}]"
        changed[name] = replace(spec, keys_withheld=(
            f"{source} was not written by cltui for this user (or its providers were edited), so "
            f"{which} is not sent to {spec.base_url} (provider '{name}'); if you trust it, give "
            f"the config that defines it with --resume (cltui CONFIG --resume {source}, or "
            f"cltui run CONFIG --resume {source})"
        ))  # fmt: skip
    if not changed:
        return config
    return replace(config, providers={**config.providers, **changed})
