"""What every command shares: one-line errors, exit codes, the provider a command talks to, and
running an async main.

Kept free of httpx and Textual at import time; the provider modules load inside the functions
that need them, so `cltui --help` stays instant.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from cltui.core.config import BUILTIN_PROVIDERS, DEFAULT_PROVIDER, ConsensusConfig, ModelSpec
from cltui.core.text import display_line, escape_json_text

if TYPE_CHECKING:
    from cltui.core.providers.client import OpenAIClient
    from cltui.core.providers.registry import ProviderRegistry

EXIT_OK = 0
EXIT_FAILED = 1
"""A call failed: the reason is on stderr."""
EXIT_USAGE = 2
"""Bad flags or a bad config."""
EXIT_INTERRUPTED = 130
"""Ctrl+C, as shells report SIGINT."""

T = TypeVar("T")


class CommandError(Exception):
    """Raised by a command to stop with a one-line message and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = EXIT_FAILED) -> int:
    """Print `cltui: message` on stderr and return `code`, for `return fail(...)`."""
    sys.stderr.write(f"cltui: {display_line(message)}\n")
    sys.stderr.flush()
    return code


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's async main. Ctrl+C surfaces as KeyboardInterrupt for `cli.main` to map
    to exit code 130."""
    return asyncio.run(coro)


def helper_config(args: argparse.Namespace) -> ConsensusConfig:
    """The providers a helper command may use, with `--base-url` / `OPENROUTER_BASE_URL`
    applied to openrouter."""
    from cltui.core.providers.registry import apply_base_url_override

    config = ConsensusConfig(models=(ModelSpec("demo/atlas", provider="demo"),))
    if not getattr(args, "demo", False):
        config = apply_base_url_override(
            config, getattr(args, "base_url", None), os.environ, getattr(args, "api_key_env", None)
        )
    return config


def provider_name(args: argparse.Namespace) -> str:
    """Which provider a helper command talks to."""
    return "demo" if getattr(args, "demo", False) else DEFAULT_PROVIDER


def build_registry(
    args: argparse.Namespace, config: ConsensusConfig | None = None, **client_options: Any
) -> ProviderRegistry:
    """One registry for the command's run: `--demo` routes to the simulated models, otherwise
    `--base-url` (else OPENROUTER_BASE_URL) points openrouter elsewhere. Keys come from the user
    settings, then the environment."""
    from cltui.core.providers.registry import ProviderRegistry, apply_base_url_override
    from cltui.core.settings import load_user_settings

    if config is None:
        config = helper_config(args)
    elif getattr(args, "demo", False):
        config = config.with_demo_models()
    else:
        config = apply_base_url_override(
            config, getattr(args, "base_url", None), os.environ, getattr(args, "api_key_env", None)
        )
    api_keys = load_user_settings().api_keys
    return ProviderRegistry(
        config.providers, api_keys=api_keys, environ=os.environ, **client_options
    )


def helper_client(
    registry: ProviderRegistry, args: argparse.Namespace, *, max_retries: int | None = None
) -> OpenAIClient:
    """The client of the provider a helper command talks to; `max_retries` overrides the
    provider's retry budget (a probe wants the first answer, not a patient one)."""
    name = provider_name(args)
    if max_retries is not None:
        spec = registry.providers.get(name, BUILTIN_PROVIDERS[name])
        registry.providers[name] = replace(spec, max_retries=max_retries)
    return registry.client(name)


def print_json(data: Any, stream: TextIO | None = None) -> None:
    """Machine-readable output: indented, UTF-8, newline-terminated; the exact text, with the
    control characters JSON leaves raw (DEL, C1) escaped too."""
    import json

    out = stream or sys.stdout
    out.write(escape_json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
    out.flush()
