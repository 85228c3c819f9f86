"""Running the real command line in a subprocess, as a user or a script does."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m cltui ARGS` to its end, output as UTF-8 text. The simulated models run 1000
    times faster than their stock pace (a test waits for mechanics, not for reading speed);
    `env` adds to or overrides the test's environment."""
    environment = {
        **os.environ, "CLTUI_DEMO_SPEED": "1000", "PYTHONIOENCODING": "utf-8", **(env or {}),
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "cltui", *args],
        env=environment, capture_output=True, text=True, encoding="utf-8", timeout=timeout,
    )  # fmt: skip
