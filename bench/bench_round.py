"""Round budget: a round takes no longer than its critical path x 1.02 + 20 ms, saving included,
and the calls of a round start within 5 ms of each other.

Runs a real consensus (3 models of different speeds + aggregator, 3 rounds) through the real
client against an OpenAI-compatible server on 127.0.0.1, with the session recorder on. The critical
path of a round is the slowest proposer's duration plus the aggregator's, as each reply measured it.

    uv run python bench/bench_round.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cltui.core.config import parse_config  # noqa: E402
from cltui.core.runner import ConsensusRunner  # noqa: E402
from tests.support.http_server import BackgroundServer, FakeOpenAI  # noqa: E402

TURNS = 5


def words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


async def measure(base_url: str, arrivals: list[float], sessions: Path) -> list[dict[str, float]]:
    config = parse_config(
        {
            "iterations": 2,
            "models": [{"id": "fake/alpha"}, {"id": "fake/beta"}, {"id": "fake/gamma"}],
            "aggregator": {"model": "fake/delta"},
            "providers": {"openrouter": {"base_url": base_url}},
        }
    )
    runner = ConsensusRunner(config, sessions_dir=sessions, api_keys={"openrouter": "sk-bench"})
    marks: list[tuple[str, float, object]] = []
    runner.add_sink(lambda e: marks.append((type(e).__name__, time.perf_counter(), e)))
    results = []
    try:
        for turn in range(TURNS):
            marks.clear()
            arrivals.clear()
            done = await runner.ask(f"question {turn}")
            starts = [t for name, t, e in marks if name == "RoundStarted"]
            ends = [t for name, t, e in marks if name == "RoundFinished"]
            for index, rnd in enumerate(done.rounds):
                wall_ms = (ends[index] - starts[index]) * 1000
                slowest = max(r.duration_ms or 0 for r in rnd.replies)
                critical = slowest + (rnd.aggregate.duration_ms or 0)
                results.append({"wall": wall_ms, "critical": critical})
            # proposer requests arrive in groups of three per round
            proposals = [a for i, a in enumerate(arrivals) if i % 4 != 3]
            for i in range(0, len(proposals), 3):
                group = proposals[i : i + 3]
                results[-3 + i // 3]["spread"] = (max(group) - min(group)) * 1000
    finally:
        await runner.aclose()
    return results


def main() -> int:
    fake = FakeOpenAI(
        chunk_delay=0.004,
        answers={
            "fake/alpha": words(30),
            "fake/beta": words(60),
            "fake/gamma": words(90),
            "fake/delta": words(60),
        },  # fmt: skip
    )
    arrivals: list[float] = []

    def handler(request):  # noqa: ANN001, ANN202
        if request.route == "/chat/completions":
            arrivals.append(time.perf_counter())
        return fake(request)

    with BackgroundServer(handler) as server, tempfile.TemporaryDirectory() as tmp:
        rounds = asyncio.run(measure(server.base_url, arrivals, Path(tmp)))
    over = [r["wall"] - (r["critical"] * 1.02 + 20) for r in rounds]
    spreads = [r.get("spread", 0.0) for r in rounds]
    print(f"rounds measured: {len(rounds)}")
    extra = [r["wall"] - r["critical"] for r in rounds]
    print(f"round wall time minus critical path: median {statistics.median(extra):.1f} ms, "
          f"max {max(extra):.1f} ms")  # fmt: skip
    print(f"budget (critical x 1.02 + 20 ms) exceeded by: max {max(over):.1f} ms "
          f"({'within budget' if max(over) <= 0 else 'OVER BUDGET'})")  # fmt: skip
    print(f"start spread of a round's calls: max {max(spreads):.2f} ms "
          f"({'within 5 ms' if max(spreads) <= 5 else 'OVER BUDGET'})")  # fmt: skip
    return 0 if max(over) <= 0 and max(spreads) <= 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
