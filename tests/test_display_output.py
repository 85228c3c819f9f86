"""Output for people shows a model's control characters as symbols; JSON keeps them exact.

The commands run as users run them (`python -m cltui ...` in a subprocess) against a real HTTP
server on 127.0.0.1 whose model answers with escape sequences. Their stdout goes to a pipe here:
what a pipe gets is what `less`, a log viewer or a later `cat` puts on a terminal, so it is
sanitised too; `--json` is the way to the exact text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cltui.core.providers.http_errors import clean_text
from cltui.ui.widgets.ranking_table import _cell
from tests.support.http_server import (
    BackgroundServer,
    FakeOpenAI,
    RecordedRequest,
    Reply,
    chat_chunk,
    chat_stream,
    sse_event,
)

REPO = Path(__file__).resolve().parents[1]
ACTING = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
"""Bytes a terminal acts on (tab aside, a newline is fine), C1 as UTF-8 included."""
HOSTILE = "wipe\x1b[2J\x1b[H title\x1b]0;pwned\x07 \x9b6n end"


def _cltui(*argv: str, home: Path, base_url: str) -> subprocess.CompletedProcess[bytes]:
    environ = {
        **os.environ, "PYTHONIOENCODING": "utf-8", "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
        "CLTUI_SESSIONS_DIR": str(home / "sessions"), "OPENROUTER_API_KEY": "test-key-not-real",
        "OPENROUTER_BASE_URL": base_url,
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "cltui", *argv, "--base-url", base_url],
        capture_output=True, env=environ, cwd=REPO, timeout=60,
    )  # fmt: skip


def test_complete_shows_escape_sequences_as_symbols_even_split_across_chunks(
    tmp_path: Path,
) -> None:
    pieces = ["wipe\x1b[2J line\r", "\nnext\x1b]0;pwned\x07", " \x9bend\r"]
    reasoning = sse_event(chat_chunk(None, reasoning="think\x1b[6n"))

    def handler(request: RecordedRequest) -> Reply:
        return Reply.sse(reasoning, *chat_stream(pieces))

    with BackgroundServer(handler) as server:
        result = _cltui("complete", "--chat", "--model", "fake/alpha", "--prompt", "hi",
                        home=tmp_path, base_url=server.base_url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == "wipe␛[2J line\nnext␛]0;pwned␇ \ufffdend␍\n"
    assert "think␛[6n" in result.stderr.decode()
    assert not ACTING.search(result.stdout) and not ACTING.search(result.stderr)


class _Answering(FakeOpenAI):
    def answer_for(self, model: str, prompt: str) -> str:
        return HOSTILE


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "consensus.toml"
    path.write_text(
        'iterations = 0\n[[models]]\nid = "fake/alpha"\n[aggregator]\nmodel = "fake/beta"\n',
        encoding="utf-8",
    )
    (tmp_path / "sessions").mkdir()
    return path


def test_run_prints_the_answer_with_symbols_and_json_keeps_it_exact(
    tmp_path: Path, config: Path
) -> None:
    with BackgroundServer(_Answering(models=("fake/alpha", "fake/beta"))) as server:
        plain = _cltui("run", str(config), "--prompt", "q", home=tmp_path, base_url=server.base_url)
        as_json = _cltui("run", str(config), "--prompt", "q", "--json",
                         home=tmp_path, base_url=server.base_url)  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.decode() == "wipe␛[2J␛[H title␛]0;pwned␇ \ufffd6n end\n"
    assert not ACTING.search(plain.stdout) and not ACTING.search(plain.stderr)
    assert as_json.returncode == 0, as_json.stderr
    assert not ACTING.search(as_json.stdout)
    assert json.loads(as_json.stdout)["turns"][0]["final"] == HOSTILE


def test_api_error_text_and_table_cells_show_control_characters_as_symbols() -> None:
    assert clean_text("upstream \x1b[31mdied\r\nbadly") == "upstream ␛[31mdied badly"
    assert _cell("evil\x1b]0;x\x07\nname").plain == "evil␛]0;x␇ name"
