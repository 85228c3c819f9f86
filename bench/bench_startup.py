"""Start-up budgets: `cltui --help` under 0.3 s, and the TUI's first frame under 1 s.

`--help` is timed as a whole process (best of 10; the interpreter's own start-up included). The
first frame is timed inside one process, from the start of `cltui.cli.main` to the first
screen the app renders with the demo config, with the app running headless.

    uv run python bench/bench_startup.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIRST_FRAME = """
import time, sys
start = time.perf_counter()
from cltui.ui.launch import build_app
app = build_app(["--demo"])
async def ready(pilot):
    await pilot.pause()
    print(f"{time.perf_counter() - start:.3f}")
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
    frames = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", FIRST_FRAME], capture_output=True, text=True,
                             cwd=ROOT, check=False)  # fmt: skip
        if out.returncode != 0:
            print("first frame: could not measure:", out.stderr.strip().splitlines()[-1:])
            return 1
        frames.append(float(out.stdout.strip().splitlines()[-1]))
    first = min(frames)
    print(f"TUI first frame (imports + config + first screen): best {first * 1000:.0f} ms "
          f"({'within 1 s' if first < 1 else 'OVER BUDGET'})")  # fmt: skip
    return 0 if ok and first < 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
