"""Building the app around the real runner with scripted models, and waiting without sleeping.

Models run on the `demo` provider name so the runner's price and credits look-ups stay offline,
while every model call is answered by a `ScriptedBackend` the test controls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from cltui.core.config import ConsensusConfig
from cltui.core.runner import ConsensusRunner
from cltui.core.sessions.files import save_session
from cltui.core.sessions.model import Reply, Round, Session, Turn
from cltui.ui.app import ConsensusApp
from cltui.ui.bridge import RunnerSource
from cltui.ui.screens.main import MainScreen
from tests.support.scripted import ScriptedBackend, consensus_config

FROZEN_CLOCK: Callable[[], float] = lambda: 1000.0  # noqa: E731


def demo_models_config(
    models: Sequence[str | dict[str, Any]] = ("m/a", "m/b", "m/c"), **top: Any
) -> ConsensusConfig:
    """A config whose models resolve to the (offline) demo provider."""
    tables = [
        {**m, "provider": "demo"} if isinstance(m, dict) else {"id": m, "provider": "demo"}
        for m in models
    ]
    return consensus_config(tables, aggregator={"model": "m/agg", "provider": "demo"}, **top)


def with_label(config: ConsensusConfig, index: int, label: str) -> ConsensusConfig:
    """The config with model `index` labelled `label`, set past the config reader.

    The reader refuses control characters in names; a hostile name can still reach the screen
    from elsewhere (an older session, a provider's answer), so the display is tested with one."""
    models = list(config.models)
    models[index] = replace(models[index], label=label)
    return replace(config, models=tuple(models))


def make_app(
    config: ConsensusConfig,
    backend: ScriptedBackend,
    sessions: Path,
    *,
    runner: ConsensusRunner | None = None,
    opening: Path | None = None,
    **app_options: Any,
) -> ConsensusApp:
    """The app on a real `ConsensusRunner` whose model calls go to `backend`; with `opening`,
    on that saved session (as `cltui --resume PATH` starts)."""

    def new() -> ConsensusRunner:
        return ConsensusRunner(config, backend_for=backend.backend_for, sessions_dir=sessions)

    def open_(path: Path) -> ConsensusRunner:
        opened = ConsensusRunner.open(path, sessions_dir=sessions)
        return ConsensusRunner(
            opened.config,
            backend_for=backend.backend_for,
            session=opened.session,
            path=path,
            sessions_dir=sessions,
        )

    app_options.setdefault("animate", False)
    app_options.setdefault("clock", FROZEN_CLOCK)
    if runner is None:
        runner = open_(opening) if opening is not None else new()
    return ConsensusApp(runner, RunnerSource(sessions, new=new, open=open_), **app_options)


def main_screen(app: ConsensusApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None
    return screen


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], limit: int = 2000) -> None:
    """Let the app work until `predicate()` holds (bounded by iterations, not time)."""
    for _ in range(limit):
        if predicate():
            return
        await asyncio.sleep(0)
        if _ % 50 == 49:
            await pilot.pause()
    raise AssertionError("the condition never became true")


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for the consensus worker to end and the panes to finish their queues."""
    with suppress(WorkerCancelled, WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()


def finished_session(config: ConsensusConfig, path: Path, *, turns: int = 2) -> Path:
    """A saved session with fixed texts and numbers (for history and snapshot tests)."""
    session = Session(
        config=config.to_dict(),
        id="20250101-120000-abcdef",
        title="Why is the sky blue?",
        created_at="2025-01-01T12:00:00+00:00",
        updated_at="2025-01-01T12:05:00+00:00",
        status="complete",
    )
    labels = [m.name for m in config.models]
    for t in range(turns):
        turn = Turn(prompt=f"Question {t + 1}: why is the sky blue?", status="complete",
                    started_at="2025-01-01T12:00:00+00:00")  # fmt: skip
        for r in range(2):
            replies = [
                Reply(model=label, status="ok", role="proposer",
                      content=f"## {label}, round {r + 1}\n\nRayleigh scattering favours "
                              f"**short** wavelengths (turn {t + 1}).",
                      prompt_tokens=120, completion_tokens=80, cost=0.0012, duration_ms=2100)
                for label in labels
            ]  # fmt: skip
            aggregate = Reply(
                model="m/agg", status="ok", role="aggregator",
                content=f"# Consensus, round {r + 1}\n\n- Sunlight scatters off air molecules.\n"
                        f"- Blue scatters most.\n\nFinal for turn {t + 1}.",
                prompt_tokens=400, completion_tokens=90, cost=0.0031, duration_ms=3400,
            )  # fmt: skip
            turn.rounds.append(Round(index=r, replies=replies, aggregate=aggregate))
        turn.final = turn.rounds[-1].aggregate.content  # type: ignore[union-attr]
        session.turns.append(turn)
    save_session(session, path)
    return path
