"""Start-up budgets: `cltui --help` under 0.3 s, and the TUI's first frame under 1 s.

`--help` is timed as a whole process (best of 10; the interpreter's own start-up included). The
first frame is timed inside one process (best of 3), from before the first `cltui` import to the
moment the app composes its first frame of the main screen with the demo config (headless, so
the frame is not written to a terminal). Also shown: when the app is first idle, after the
background start-up work that follows the first frame (the HTTP client, list prices, credits).

Python here may run with `PYTHONDONTWRITEBYTECODE` set, compiling every module from source on
each start; an installed app keeps its bytecode. Both are measured: "cold" as the environment
is, "cached" with a bytecode cache in a temporary folder (warmed by one run first).

    uv run python bench/bench_startup.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIRST_FRAME = """
import time, sys
start = time.perf_counter()
from cltui.ui.launch import build_app
from cltui.ui.screens.main import MainScreen
app = build_app(["--demo"])
first = []
display = type(app)._display
def _display(self, screen, renderable):
    if renderable is not None and not first and isinstance(screen, MainScreen):
        first.append(time.perf_counter() - start)
    display(self, screen, renderable)
type(app)._display = _display
async def ready(pilot):
    await pilot.pause()
    print(f"{first[0]:.3f} {time.perf_counter() - start:.3f}")
    await pilot.exit(0)
app.run(headless=True, auto_pilot=ready)
"""


def best_of(command: list[str], runs: int = 10) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        samples.append(time.perf_counter() - start)
    return min(samples)


def main() -> int:
    help_time = best_of([sys.executable, "-m", "cltui", "--help"])
    print(f"cltui --help: best {help_time * 1000:.0f} ms "
          f"({'within 0.3 s' if help_time < 0.3 else 'OVER BUDGET'})")  # fmt: skip
    ok = help_time < 0.3
    results = {}
    for label, env in (("cold", cold_env()), ("cached", cached_env())):
        if label == "cached":
            first_frame(env)  # writes the bytecode cache
        samples = [first_frame(env) for _ in range(3)]
        if any(sample is None for sample in samples):
            return 1
        frame = min(s[0] for s in samples if s)
        idle = min(s[1] for s in samples if s)
        results[label] = frame
        print(f"TUI first frame, {label} bytecode: best {frame * 1000:.0f} ms "
              f"({'within 1 s' if frame < 1 else 'OVER BUDGET'}); idle after "
              f"start-up work {idle * 1000:.0f} ms")  # fmt: skip
    return 0 if ok and results["cold"] < 1 else 1


def cold_env() -> dict[str, str]:
    return dict(os.environ)


def cached_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "cltui-bench-pycache")
    return env


def first_frame(env: dict[str, str]) -> tuple[float, float] | None:
    """(first frame, first idle) in seconds, from one fresh process."""
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME], capture_output=True, text=True,
                         cwd=ROOT, check=False, env=env)  # fmt: skip
    if out.returncode != 0:
        print("first frame: could not measure:", out.stderr.strip().splitlines()[-1:])
        return None
    frame, idle = out.stdout.strip().splitlines()[-1].split()
    return float(frame), float(idle)


if __name__ == "__main__":
    raise SystemExit(main())
