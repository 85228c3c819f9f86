"""Sessions to test saving, loading, listing and exporting against."""

from __future__ import annotations

from cltui.core.config import demo_config
from cltui.core.sessions.model import Judgement, Reply, Round, Session, Turn

HOSTILE_STRINGS = {
    "triple_double_quotes": 'He said """hello""" and left',
    "triple_single_quotes": "It's '''quoted''' here",
    "crlf": "line one\r\nline two\r\n",
    "lone_cr": "progress 10%\rprogress 20%\r",
    "nul": "before\x00after",
    "control_chars": "".join(chr(c) for c in range(32)) + "\x7f\x85",
    "ansi": "\x1b[31mred\x1b[0m and \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    "rich_markup": "[/red] [bold]x[/bold] [link=http://x]y[/link] [@click=app.quit]q[/]",
    "emoji": "👩‍👩‍👧 family, 🇫🇷 flag, 😀",
    "rtl": "שלום עולם \u202eevil\u202c مرحبا",
    "long_line": "word " * 20_000,
    "trailing_backslash": "path\\to\\dir\\",
    "toml_lookalike": '[[turns]]\nprompt = "injected"\n[config]\n',
    "unicode_separators": "a\u2028b\u2029c\ufeffd",
    "empty": "",
}


def full_reply(model: str = "openai/gpt-4o-mini", content: str = "An **answer**.") -> Reply:
    """A reply with every field set away from its default."""
    return Reply(
        model=model,
        status="error",
        content=content,
        error="rate limited; retry in 3 s",
        error_kind="rate_limited",
        prompt_tokens=123,
        completion_tokens=456,
        cost=0.00123,
        cost_estimated=True,
        ttft_ms=250,
        duration_ms=4321,
        reasoning="thinking...\nmore",
        role="reviewer",
        model_id="openai/gpt-4o-mini",
        served_by="openai/gpt-4o-mini-2024",
    )


def sample_session(turns: int = 2) -> Session:
    """A multi-turn session with proposals, reviews, judgements, a ranking and aggregates."""
    session = Session(config=demo_config("blender").to_dict(), title="Why is the sky blue?")
    for t in range(turns):
        turn = Turn(prompt=f"Question {t}: why is the sky blue?", status="complete")
        for r in range(2):
            rnd = Round(
                index=r,
                replies=[
                    Reply(
                        model=name,
                        status="ok",
                        content=f"## Answer from {name}\n\nRayleigh scattering, round {r}.",
                        prompt_tokens=100 + r,
                        completion_tokens=200,
                        cost=0.001,
                        ttft_ms=120,
                        duration_ms=1500,
                    )
                    for name in ("demo/atlas", "demo/borealis")
                ]
                + [
                    Reply(
                        model="demo/cirrus",
                        status="error",
                        error="model not found",
                        error_kind="not_found",
                    )
                ],
                aggregate=Reply(
                    model="demo/synthesis",
                    status="ok",
                    content=f"Merged answer {t}.{r}",
                    prompt_tokens=400,
                    completion_tokens=300,
                    cost=0.002,
                    cost_estimated=True,
                    role="aggregator",
                ),
                agreement=None if r == 0 else 0.875,
                judgements=[Judgement("demo/atlas", "demo/borealis", "first", raw="A is better")],
                ranking=[
                    {"model": "demo/atlas", "score": 2.0, "rank": 1},
                    {"model": "demo/borealis", "score": 1.0, "rank": 2},
                ],
                reviews=[
                    Reply(
                        model="demo/arbiter",
                        status="ok",
                        content="first",
                        prompt_tokens=50,
                        completion_tokens=1,
                        role="judge",
                    )
                ],
                layer=r + 1,
            )
            turn.rounds.append(rnd)
        turn.final = f"Merged answer {t}.1"
        session.turns.append(turn)
    session.status = "complete"
    return session
