"""`cltui sessions` and `cltui export`, called directly with parsed arguments."""

from __future__ import annotations

import io
import json
import tomllib
from argparse import Namespace
from pathlib import Path

import pytest
import tomli_w
from support.session_samples import sample_session

from cltui.core.sessions.files import default_session_path, save_session
from cltui.session_cli import export_main, sessions_main


def _save(folder: Path, session_id: str, title: str, updated: str = "") -> Path:
    session = sample_session(turns=1)
    session.id, session.title = session_id, title
    path = default_session_path(folder, session)
    save_session(session, path)
    if updated:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data["updated_at"] = updated
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "saved"
    path.mkdir()
    return path


def _sessions_args(folder: Path | None, as_json: bool = False) -> Namespace:
    return Namespace(json=as_json, sessions_dir=str(folder) if folder else None)


def _export_args(session: str, folder: Path | None, fmt: str | None = None,
                 output: str | None = None) -> Namespace:  # fmt: skip
    return Namespace(
        session=session, format=fmt, output=output, sessions_dir=str(folder) if folder else None
    )


def test_sessions_table_newest_first(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    older = _save(folder, "20240101-000000-aaaaaa", "Older question", "2024-01-01T10:00:00+00:00")
    newer = _save(folder, "20250101-000000-bbbbbb", "Newer \x1b[31mquestion",
                  "2025-02-03T04:05:06+00:00")  # fmt: skip
    (folder / "broken.toml").write_text("nope = [", encoding="utf-8")
    assert sessions_main(_sessions_args(folder)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Sessions in {folder}\n")
    assert "\x1b" not in out
    lines = out.splitlines()[2:]
    assert lines[0].split() == ["UPDATED", "STATUS", "TURNS", "COST", "TITLE", "FILE"]
    broken, new, old = lines[1:]  # the damaged file was modified just now
    assert "damaged" in broken and "broken.toml" in broken and "not valid TOML" in broken
    assert new.split() == ["2025-02-03", "04:05", "complete", "1", "~$0.008+", "Newer",
                           "␛[31mquestion", newer.name]  # fmt: skip
    assert old.endswith(older.name) and "Older question" in old


def test_sessions_json(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _save(folder, "20250101-000000-bbbbbb", "Question")
    (folder / "broken.toml").write_text("nope = [", encoding="utf-8")
    assert sessions_main(_sessions_args(folder, as_json=True)) == 0
    data = json.loads(capsys.readouterr().out)
    by_id = {entry["id"]: entry for entry in data}
    assert by_id["20250101-000000-bbbbbb"]["path"] == str(path)
    assert by_id["20250101-000000-bbbbbb"]["turns"] == 1
    assert by_id["20250101-000000-bbbbbb"]["models"] == ["demo/atlas", "demo/borealis",
                                                         "demo/cirrus"]  # fmt: skip
    assert "not valid TOML" in by_id["broken"]["error"]


def test_sessions_empty_says_where_it_looked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sessions_main(_sessions_args(folder)) == 0
    assert capsys.readouterr().out == f"No sessions in {folder}\n"


def test_sessions_default_folder_comes_from_the_environment(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _save(isolated_environment / "sessions", "20250101-000000-cccccc", "From env")
    assert sessions_main(_sessions_args(None)) == 0
    assert "From env" in capsys.readouterr().out


def test_export_markdown_to_stdout_by_id_prefix(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _save(folder, "20250101-000000-bbbbbb", "Question")
    assert export_main(_export_args("20250101", folder)) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Question\n")
    assert "### Final answer" in out


def test_export_json_to_a_file(folder: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    path = _save(folder, "20250101-000000-bbbbbb", "Question")
    target = tmp_path / "out" / "session.json"
    assert export_main(_export_args(str(path), None, "json", str(target))) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "Question"
    assert sorted(p.name for p in target.parent.iterdir()) == ["session.json"]
    assert target.stat().st_mode & 0o777 == 0o644
    assert "session.json" in captured.err


def test_export_unknown_session(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export_main(_export_args("nothing", folder)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"cltui: no session matches 'nothing' in {folder}; run `cltui sessions` to list them\n"
    )


def test_export_damaged_session(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "broken.toml").write_text("schema_version = 9\n", encoding="utf-8")
    assert export_main(_export_args("broken", folder)) == 2
    err = capsys.readouterr().err
    assert err.startswith("cltui: ") and "newer cltui (schema 9)" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_export_unknown_format(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _save(folder, "x", "Question")
    assert export_main(_export_args("x", folder, "pdf")) == 2
    assert capsys.readouterr().err.startswith("cltui: unknown export format 'pdf'")


def test_export_to_an_unwritable_place(folder: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    _save(folder, "x", "Question")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert export_main(_export_args("x", folder, "md", str(blocker / "out.md"))) == 1
    err = capsys.readouterr().err
    assert err.startswith("cltui: ") and "cannot write" in err
    assert export_main(_export_args("x", folder, "md", str(tmp_path))) == 2
    assert "is a folder" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


HOSTILE = "Fine \x1b]0;owned\x07answer\x1b[2J\x9b31m done"


def _save_hostile(folder: Path) -> Path:
    session = sample_session(turns=1)
    session.id, session.title = "20250101-000000-cccccc", "Hostile"
    session.turns[0].final = HOSTILE
    path = default_session_path(folder, session)
    save_session(session, path)
    return path


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_to_a_terminal_drops_escape_sequences(
    folder: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    _save_hostile(folder)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert export_main(_export_args("20250101", folder, fmt)) == 0
    out = terminal.getvalue()
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "Fine" in out and "done" in out


def test_markdown_export_to_a_pipe_shows_escape_sequences_as_symbols(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _save_hostile(folder)
    assert export_main(_export_args("20250101", folder)) == 0
    out = capsys.readouterr().out
    assert "> Fine ␛]0;owned␇answer␛[2J\ufffd31m done\n" in out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out


def test_json_export_to_a_pipe_keeps_the_exact_text_escaped(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _save_hostile(folder)
    assert export_main(_export_args("20250101", folder, "json")) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert json.loads(out)["turns"][0]["final"] == HOSTILE
