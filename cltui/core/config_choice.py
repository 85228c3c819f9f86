"""Which consensus config a command runs with: the same rules for the TUI and `cltui run`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cltui.core.config import ConsensusConfig, default_config, demo_config, load_config
from cltui.core.settings import UserSettings


def choose_config(
    path: str | Path | None,
    *,
    demo: bool,
    settings: UserSettings,
    environ: Mapping[str, str],
    strategy: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
) -> ConsensusConfig:
    """The CONFIG file, else the one named in the user settings, else the built-in one.

    `--demo` without a file uses the simulated models' own config; with a file it keeps the file's
    models but routes them to the simulated provider, so a config can be tried out offline.
    Raises ConfigError for a bad file.
    """
    from cltui.core.providers.registry import apply_base_url_override
    from cltui.core.runner import with_strategy

    file = path or settings.consensus
    if file:
        config = load_config(file)
        if demo:
            config = config.with_demo_models()
    elif demo:
        config = demo_config()
    else:
        config = default_config()
    config = with_strategy(config, strategy)
    if not demo:
        config = apply_base_url_override(config, base_url, environ, api_key_env)
    return config
