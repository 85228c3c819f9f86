"""The glue both front ends drive: config + providers + engine + the session file.

The TUI and `cltui run` differ only in the sinks they add (a bridge to widgets, a progress printer);
everything else — saving after every reply, marking an interrupted run, credits, prices — lives
here once, so both behave the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from cltui.core.config import (
    OPENROUTER_BASE_URL,
    ConfigError,
    ConsensusConfig,
    ModelSpec,
    parse_config,
)
from cltui.core.costs import PriceBook
from cltui.core.engine import ConsensusEngine
from cltui.core.events import CreditsChanged, Event, EventSink, SessionSaved
from cltui.core.paths import sessions_dir as default_sessions_dir
from cltui.core.preview import CostPreview, estimate_cost
from cltui.core.providers.base import ChatBackend
from cltui.core.providers.errors import ProviderError
from cltui.core.providers.registry import ProviderRegistry
from cltui.core.session import Reply, Session, Turn
from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.files import default_session_path, load_session
from cltui.core.sessions.recorder import SessionRecorder

log = logging.getLogger(__name__)


class ConsensusRunner:
    """One conversation: runs turns, keeps the session file current, reports credits."""

    def __init__(
        self,
        config: ConsensusConfig,
        *,
        backend_for: Callable[[ModelSpec], ChatBackend] | None = None,
        sessions_dir: Path | None = None,
        session: Session | None = None,
        path: Path | None = None,
        api_keys: Mapping[str, str] | None = None,
        save: bool = True,
        registry: ProviderRegistry | None = None,
    ) -> None:
        self.config = config
        self.registry = registry or ProviderRegistry(config.providers, api_keys=api_keys)
        self._sinks: list[EventSink] = []
        self.prices = PriceBook()
        self.engine = ConsensusEngine(
            config,
            backend_for or self.registry.backend_for,
            session=session,
            prices=self.prices,
        )
        self.session: Session = self.engine.session
        self.path: Path | None = None
        self.recorder: SessionRecorder | None = None
        self.last_save_error: str | None = None
        if save:
            directory = Path(sessions_dir) if sessions_dir else default_sessions_dir()
            self.path = Path(path) if path else default_session_path(directory, self.session)
            self.recorder = SessionRecorder(
                self.session, self.path, on_saved=self._saved, on_error=self._save_failed
            )
            self.engine.add_sink(self.recorder)
        self._prices_loaded = False
        self._listed: dict[str, set[str]] = {}
        """Model ids each provider lists, once fetched."""

    # -- sinks ---------------------------------------------------------------------------------

    def add_sink(self, sink: EventSink) -> None:
        """Receive every engine event, plus credits and saved-file events."""
        self._sinks.append(sink)
        self.engine.add_sink(sink)

    def _emit(self, event: Event) -> None:
        for sink in self._sinks:
            try:
                sink(event)
            except Exception:  # a broken display must not stop the run
                log.exception("event sink failed")

    def _saved(self, path: Path) -> None:
        self.last_save_error = None
        self._emit(SessionSaved(str(path)))

    def _save_failed(self, message: str) -> None:
        self.last_save_error = message

    # -- running -------------------------------------------------------------------------------

    async def ask(self, prompt: str) -> Turn:
        """Run one turn. On cancellation the session is saved as interrupted, then it re-raises."""
        await self.load_prices()
        try:
            return await self.engine.run_turn(prompt)
        except asyncio.CancelledError:
            self._mark_interrupted()
            raise

    @property
    def can_resume(self) -> bool:
        """The last turn was cut off and can be finished."""
        return self.engine.can_resume

    async def resume(self) -> Turn:
        """Finish the interrupted turn, redoing only what is missing."""
        await self.load_prices()
        try:
            return await self.engine.resume()
        except asyncio.CancelledError:
            self._mark_interrupted()
            raise

    async def retry_reply(self, turn: int, round: int, slot: str) -> Reply:
        """Call one failed model of the latest round again.

        The file is saved once more afterwards: a retry that brings a failed turn back to its
        quorum makes the turn resumable only after the reply's own save, and a file still
        saying 'failed' could not be resumed after a quit."""
        try:
            reply = await self.engine.retry_reply(turn, round, slot)
        except asyncio.CancelledError:
            self._mark_interrupted()
            raise
        self.save()
        return reply

    def _mark_interrupted(self) -> None:
        if self.recorder is not None:
            self.recorder.mark_interrupted()

    def save(self) -> Path | None:
        """Write the session now (it is also written after every reply)."""
        if self.recorder is None:
            return None
        self.recorder.save()
        return self.path

    # -- money ---------------------------------------------------------------------------------

    async def load_prices(self) -> None:
        """Fetch list prices once, to estimate costs the API does not report."""
        if self._prices_loaded:
            return
        self._prices_loaded = True
        names = {m.provider for m in self.config.all_models()}
        for name in sorted(names):
            try:
                models = await self.registry.client(name).list_models()
            except (ProviderError, OSError, ValueError) as error:
                log.info("no prices from %s: %s", name, error)
                continue
            self.prices.update(PriceBook.from_models(models))
            self._listed[name] = {m.id for m in models}

    def unlisted_models(self) -> list[str]:
        """Configured model ids the provider's model list does not have (stale or mistyped ids).

        Only for OpenRouter and the simulated models, whose lists are complete; local servers
        name their models in their own ways. Empty until `load_prices` has run."""
        found: list[str] = []
        for model in self.config.all_models():
            provider = self.config.provider_for(model)
            listed = self._listed.get(model.provider)
            checkable = provider.kind == "demo" or provider.base_url == OPENROUTER_BASE_URL
            if listed and checkable and model.id not in listed and model.id not in found:
                found.append(model.id)
        return found

    def preview(self, prompt: str = "") -> CostPreview:
        """Calls and a cost range for one turn, from list prices and max_tokens."""
        history = sum(len(t.prompt) + len(t.final) for t in self.session.turns)
        return estimate_cost(
            self.config, self.prices, prompt_chars=max(len(prompt), 200), history_chars=history
        )

    async def fetch_credits(self) -> CreditsChanged | None:
        """Ask the main provider for the credits left; tells the sinks. None when unknown."""
        provider = self.config.models[0].provider
        try:
            info = await self.registry.client(provider).credits()
        except (ProviderError, OSError, ValueError) as error:
            log.info("no credits from %s: %s", provider, error)
            return None
        event = CreditsChanged(remaining=info.remaining, used=info.used)
        self._emit(event)
        return event

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.registry.aclose()

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        demo: bool = False,
        sessions_dir: Path | None = None,
        api_keys: Mapping[str, str] | None = None,
        base_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        api_key_env: str | None = None,
    ) -> ConsensusRunner:
        """Reopen a saved session with the config it was made with. Raises SessionError."""
        from cltui.core.providers.registry import apply_base_url_override

        session = load_session(path)
        try:
            config = parse_config(session.config, source=f"{path} [config]")
        except ConfigError as error:
            raise SessionError(str(error)) from None
        if demo:
            config = config.with_demo_models()
        config = apply_base_url_override(config, base_url, environ or {}, api_key_env)
        return cls(config, session=session, path=Path(path), sessions_dir=sessions_dir,
                   api_keys=api_keys)  # fmt: skip


def with_strategy(config: ConsensusConfig, strategy: str | None) -> ConsensusConfig:
    """The config with another strategy, re-validated (blender needs a judge, say)."""
    if not strategy or strategy == config.strategy:
        return config
    data = config.to_dict()
    data["strategy"] = strategy
    if strategy == "blender" and config.judge is None and config.aggregator is not None:
        data["judge"] = {"model": config.aggregator.model.id}
        if config.aggregator.model.provider != "openrouter":
            data["judge"]["provider"] = config.aggregator.model.provider
    return replace(parse_config(data, config.source), source=config.source)
