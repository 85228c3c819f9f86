"""Session budget: a session of 50 turns x 3 rounds x 8 models opens in under 1 s.

Builds such a session (answers of realistic length), saves it, then times `load_session` and
`list_sessions` over it. Also times one save, which happens after every reply.

    uv run python bench/bench_session_open.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cltui.core.config import parse_config  # noqa: E402
from cltui.core.sessions.files import load_session, save_session  # noqa: E402
from cltui.core.sessions.listing import list_sessions  # noqa: E402
from cltui.core.sessions.model import Reply, Round, Session, Turn  # noqa: E402

MODELS = [f"vendor/model-{i}" for i in range(8)]
ANSWER = ("A realistic paragraph of an answer with **Markdown**, `code` and a list:\n- one\n- two\n"
          * 12)  # fmt: skip


def build() -> Session:
    models = [{"id": m} for m in MODELS]
    config = parse_config({"models": models, "aggregator": {"model": MODELS[0]}})
    session = Session(config=config.to_dict(), title="benchmark")
    for t in range(50):
        turn = Turn(prompt=f"question {t}", status="complete", final=ANSWER)
        for r in range(3):
            replies = [Reply(model=m, status="ok", content=ANSWER, prompt_tokens=900,
                             completion_tokens=400, cost=0.0012, ttft_ms=500, duration_ms=4000)
                       for m in MODELS]  # fmt: skip
            aggregate = Reply(model=MODELS[0], status="ok", content=ANSWER, role="aggregator")
            turn.rounds.append(Round(index=r, replies=replies, aggregate=aggregate))
        session.turns.append(turn)
    session.status = "complete"
    return session


def timed(action, repeat: int = 5) -> float:  # noqa: ANN001
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    session = build()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.toml"
        save = timed(lambda: save_session(session, path))
        size = path.stat().st_size
        load = timed(lambda: load_session(path))
        listing = timed(lambda: list_sessions(Path(tmp)))
    print(f"session: 50 turns x 3 rounds x 8 models, {size / 1e6:.1f} MB")
    print(f"open (load_session): median {load * 1000:.0f} ms "
          f"({'within 1 s' if load < 1 else 'OVER BUDGET'})")  # fmt: skip
    print(f"list (list_sessions): median {listing * 1000:.0f} ms")
    print(f"save (save_session, full rewrite with fsync): median {save * 1000:.0f} ms")
    return 0 if load < 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
