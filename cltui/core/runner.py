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
    ProviderSpec,
    parse_config,
)
from cltui.core.costs import PriceBook
from cltui.core.engine import ConsensusEngine
from cltui.core.events import CreditsChanged, Event, EventSink, SessionSaved, SessionSaveFailed
from cltui.core.paths import sessions_dir as default_sessions_dir
from cltui.core.preview import CostPreview, estimate_cost
from cltui.core.providers.base import ChatBackend
from cltui.core.providers.errors import ProviderError
from cltui.core.providers.registry import ProviderRegistry
from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.files import (
    check_save_target,
    default_session_path,
    is_shipped_example,
    load_session,
    remove_stale_temp_files,
    write_session,
)
from cltui.core.sessions.lock import SessionLock, SessionLocked
from cltui.core.sessions.model import Reply, Session, Turn, new_session_id
from cltui.core.sessions.recorder import SessionRecorder
from cltui.core.sessions.seal import seal_matches, seal_providers, withhold_keys
from cltui.core.sessions.toml_text import TomlRenderer

log = logging.getLogger(__name__)


class ReadOnlySession(SessionError):
    """Asked to run a session that another process is writing (it is open for viewing only)."""


class ConsensusRunner:
    """One conversation: runs turns, keeps the session file current, reports credits.

    It is the session file's only writer while it holds the file's lock (`claim`), taken before
    the first save; a session another process holds can still be opened to look at
    (`read_only` says why), but not run."""

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
        if session is None and save:  # a new session, from the user's own config: seal it
            self.session.providers_seal = seal_providers(self.session.config)
        self.path: Path | None = None
        self.recorder: SessionRecorder | None = None
        self.last_save_error: str | None = None
        self.lock: SessionLock | None = None
        self.read_only = ""
        """Why this session may only be viewed (another process writes it); empty otherwise."""
        self.copied_from: Path | None = None
        """The shipped example this session continues (its own file is left alone)."""
        self.sessions_dir = Path(sessions_dir) if sessions_dir else default_sessions_dir()
        if save:
            directory = self.sessions_dir
            self.path = Path(path) if path else default_session_path(directory, self.session)
            self.recorder = SessionRecorder(
                self.session,
                self.path,
                on_saved=self._saved,
                on_error=self._save_failed,
                before_write=self.claim,
            )
        self.engine.add_sink(self._dispatch)
        self._prices_loaded = False
        self._listed: dict[str, set[str]] = {}
        """Model ids each provider lists, once fetched."""

    # -- sinks ---------------------------------------------------------------------------------

    def add_sink(self, sink: EventSink) -> None:
        """Receive every engine event, plus credits and saved-file events."""
        self._sinks.append(sink)

    def _dispatch(self, event: Event) -> None:
        """The engine's one sink: the display sinks first, then the recorder. A save's own
        event (`SessionSaved` / `SessionSaveFailed`) so reaches every sink after the event that
        caused the save, and says the truth about everything shown before it."""
        self._emit(event)
        if self.recorder is not None and not self.read_only:
            try:
                self.recorder(event)
            except Exception as error:  # a bug in saving must not stop the run, nor hide
                log.exception("the session recorder failed")
                self._save_failed(f"{self.path}: cannot save: {error}")

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
        path = str(self.path)
        reason = message.removeprefix(f"{path}: ").removeprefix("cannot save: ")
        self._emit(SessionSaveFailed(path, reason))

    # -- the file ------------------------------------------------------------------------------

    def claim(self) -> None:
        """Make sure this runner can write its file, and be its only writer: the target is
        checked (`check_save_target`), its folder made and the session's lock taken. A no-op
        once held. Raises `SessionLocked` when another process writes the session,
        `SessionError` when it cannot be saved there. Called before the first save, and by
        `cltui run` before any paid call."""
        if self.path is None or (self.lock is not None and self.lock.held):
            return
        check_save_target(self.path, self.session.id)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            reason = error.strerror or str(error)
            raise SessionError.at(str(self.path), "", f"cannot save: {reason}") from None
        lock = SessionLock(self.path)
        lock.acquire()
        self.lock = lock

    def release(self) -> None:
        """Let another process write the session (the lock also ends with this process)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def save_as(self, target: Path) -> Path:
        """Write the session to `target` (a file, or a folder to put it in) and keep saving
        there: the way out when the current place fails. Raises SessionError (the current
        file and lock stay as they were)."""
        if self.read_only:
            raise ReadOnlySession(self.read_only)
        target = Path(target).expanduser()
        if target.is_dir():
            target = default_session_path(target, self.session)
        if target == self.path:
            self.save()
            if self.last_save_error:
                raise SessionError(self.last_save_error)
            return target
        old = (self.path, self.lock)
        self.path, self.lock = target, None
        try:
            self.claim()
            remove_stale_temp_files(target)
            write_session(self.session, target, TomlRenderer())
        except SessionError:
            if self.lock is not None:
                self.lock.release()
            self.path, self.lock = old
            raise
        if old[1] is not None:
            old[1].release()
        if self.recorder is None:
            self.recorder = SessionRecorder(
                self.session, target, on_saved=self._saved, on_error=self._save_failed,
                before_write=self.claim,
            )  # fmt: skip
        self.recorder.path = target
        self.copied_from = None
        self._saved(target)
        return target

    # -- running -------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlySession(self.read_only)

    async def ask(self, prompt: str) -> Turn:
        """Run one turn. On cancellation the session is saved as interrupted, then it re-raises."""
        self._check_writable()
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
        self._check_writable()
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
        self._check_writable()
        try:
            reply = await self.engine.retry_reply(turn, round, slot)
        except asyncio.CancelledError:
            self._mark_interrupted()
            raise
        self.save()
        return reply

    def _mark_interrupted(self) -> None:
        if self.recorder is not None and not self.read_only:
            self.recorder.mark_interrupted()

    def save(self) -> Path | None:
        """Write the session now (it is also written after every reply)."""
        if self.recorder is None or self.read_only:
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
        """Close the HTTP connections and let go of the session's lock."""
        self.release()
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
        view_if_locked: bool = False,
        api_key_env: str | None = None,
        own_providers: Mapping[str, ProviderSpec] | None = None,
    ) -> ConsensusRunner:
        """Reopen a saved session with the config it was made with. Raises SessionError.

        The session's lock is taken at once: when another process holds it this raises
        `SessionLocked`, or with `view_if_locked` opens it for viewing only (`read_only`).
        A shipped example (`example-*.toml`) is never rewritten: it continues in a copy with a
        new id in the sessions folder (`copied_from` names the example).

        Keys follow `sessions.seal`: the session's providers get the user's keys only when this
        user's cltui wrote them; `own_providers` (from a config the user gives) replace the
        session's tables of the same name and are trusted."""
        from cltui.core.providers.registry import apply_base_url_override

        session = load_session(path)
        example = is_shipped_example(Path(path))
        if example:
            session.id = new_session_id()
        try:
            config = parse_config(session.config, source=f"{path} [config]")
        except ConfigError as error:
            raise SessionError(str(error)) from None
        sealed = seal_matches(session.config, session.providers_seal)
        if own_providers:  # the user's own word: kept in the file, so it counts next time too
            config = replace(config, providers={**config.providers, **own_providers})
            tables = {name: spec.to_dict() for name, spec in own_providers.items()}
            session.config["providers"] = {**session.config.get("providers", {}), **tables}
        if not sealed:
            config = withhold_keys(config, path, trusted=own_providers or {})
        if sealed or not any(p.keys_withheld for p in config.providers.values()):
            session.providers_seal = seal_providers(session.config)
        if demo:
            config = config.with_demo_models()
        config = apply_base_url_override(config, base_url, environ or {}, api_key_env)
        runner = cls(config, session=session, path=None if example else Path(path),
                     sessions_dir=sessions_dir, api_keys=api_keys)  # fmt: skip
        if example:
            runner.copied_from = Path(path)
            return runner
        try:
            runner.claim()
        except SessionLocked as error:
            if not view_if_locked:
                raise
            runner.read_only = str(error)
        except SessionError:
            pass  # not writable here: the first save says so, loudly; viewing still works
        return runner


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
