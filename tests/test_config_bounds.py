"""Hostile and mistaken configs end in one line naming the file and the key, exit 2: every count
and size is bounded, deep nesting and odd characters are refused, a BOM is accepted, and the
seed's input.json is read faithfully (its question kept, its mistakes named at its own keys)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cltui import cli
from cltui.core.config import ConfigError, load_config
from cltui.core.config.limits import MAX_TEXT_CHARS
from cltui.core.sessions.files import load_session
from tests.support.cli import run_cli

PAIR = '[[models]]\nid = "a/b"\n[[models]]\nid = "c/d"\n[aggregator]\nmodel = "e/f"\n'

HOSTILE_TOML = {
    "iterations": ("iterations = 1000000000\n" + PAIR, "iterations: must be at most 20"),
    "count": ('[[models]]\nid = "a/b"\ncount = 100000000\n[aggregator]\nmodel = "e/f"\n',
              "models[0].count: must be at most 32"),
    "models": ('[[models]]\nid = "a/b"\ncount = 20\n[[models]]\nid = "c/d"\ncount = 20\n'
               '[aggregator]\nmodel = "e/f"\n', "models: lists more than 32 models"),
    "layers": ('strategy = "moa"\nlayers = 100000\n' + PAIR, "layers: must be at most 10"),
    "top_k": ('strategy = "blender"\ntop_k = 100000\n' + PAIR + '[judge]\nmodel = "x/y"\n',
              "top_k: must be at most 32"),
    "max_tokens": ('[[models]]\nid = "a/b"\nmax_tokens = 99999999999\n',
                   "models[0].max_tokens: must be at most 1,000,000"),
    "quorum": ("quorum = 99999999999999999999\n" + PAIR, "quorum: must be at most 32"),
    "max_retries": (PAIR + "[providers.openrouter]\nmax_retries = 1000\n",
                    "providers.openrouter.max_retries: must be at most 10"),
    "prompt_size": (f'improvement_prompt = "{"x" * (MAX_TEXT_CHARS + 1)}"\n' + PAIR,
                    "improvement_prompt: is 1,000,001 characters long; the limit is 1,000,000"),
    "deep_toml": ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "nest more than 32 levels"),
    "deep_params": ('[[models]]\nid = "a/b"\nparams = { x = ' + "[" * 40 + "]" * 40 + " }\n",
                    "nest more than 32 levels"),
    "control_id": ('[[models]]\nid = "a\\u0000b"\n', "models[0].id: holds a control character"),
}  # fmt: skip

HOSTILE_JSON = {
    "deep_json": ('{"models": ' + "[" * 100_000 + "]" * 100_000 + "}",
                  "nest more than 32 levels"),
    "huge_number": ('{"models": [{"id": "a"}], "iterations": ' + "9" * 5000 + "}",
                    "a number in it has too many digits"),
    "surrogate": ('{"models": [{"id": "a\\ud800"}]}',
                  "models[0].id: holds an invalid character (a lone surrogate)"),
    "aggregator_typo": (json.dumps({"models": [{"id": "a"}, {"id": "b"}],
                                    "aggregator": [{"model": {"id": "x", "max_tokns": 5}}]}),
                        "aggregator[0].model.max_tokns: unknown key (did you mean 'max_tokens'?)"),
    "aggregator_value": (json.dumps({"models": [{"id": "a"}, {"id": "b"}],
                                     "aggregator": [{"model": {"id": "x", "max_tokens": 0}}]}),
                         "aggregator[0].model.max_tokens: must be at least 1"),
    "aggregator_no_id": (json.dumps({"models": [{"id": "a"}, {"id": "b"}],
                                     "aggregator": [{"model": {"max_tokens": 5}}]}),
                         "aggregator[0].model: needs 'id'"),
}  # fmt: skip


def assert_one_line_error(result, path: Path, message: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"cltui: {path}: "), lines[0]
    assert message in lines[0]
    assert "unexpected error" not in result.stderr and "Traceback" not in result.stderr


HOSTILE_FILES = {
    **{f"{case}.toml": value for case, value in HOSTILE_TOML.items()},
    **{f"{case}.json": value for case, value in HOSTILE_JSON.items()},
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_a_hostile_config_or_input_json_is_one_line_naming_the_key(
    name: str, tmp_path: Path
) -> None:
    text, message = HOSTILE_FILES[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run_cli("run", str(path), "--prompt", "q", "--dry-run", timeout=30)
    assert_one_line_error(result, path, message)


def test_a_prompt_over_the_limit_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(PAIR, encoding="utf-8")
    # In process: no command line can carry an argument this long.
    code = cli.main(["run", str(path), "--prompt", "x" * (MAX_TEXT_CHARS + 1), "--dry-run"])
    assert code == 2
    error = capsys.readouterr().err
    assert "--prompt is 1,000,001 characters long; the limit is 1,000,000" in error


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_byte_order_mark_is_accepted(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"bom{suffix}"
    text = '[[models]]\nid = "a/b"\n' if suffix == ".toml" else '{"models": [{"id": "a/b"}]}'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_config(path).models[0].id == "a/b"


def test_the_seed_question_in_initial_conversation_is_kept(tmp_path: Path) -> None:
    seed = {
        "models": [{"id": "demo/atlas"}, {"id": "demo/borealis"}],
        "aggregator": [{"model": {"id": "demo/synthesis"}}],
        "iterations": 0,
        "initial_conversation": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "How do tides work?"},
        ],
    }
    path = tmp_path / "input.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    config = load_config(path)
    assert config.question == "How do tides work?"
    assert [m.content for m in config.conversation] == ["You are terse."]

    result = run_cli("run", str(path), "--demo", "--json")  # no --prompt: the seed's question
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["turns"][0]["prompt"] == "How do tides work?"


def test_the_seed_conversation_keeps_every_earlier_message(tmp_path: Path) -> None:
    seed = {
        "models": [{"id": "a"}],
        "initial_conversation": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "reply"},
        ],
    }
    path = tmp_path / "input.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    config = load_config(path)
    assert [m.role for m in config.conversation] == ["system", "user", "assistant"]
    assert config.question is None


def test_a_folder_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)


def test_a_session_file_with_a_bom_opens_and_a_deep_one_is_one_line(tmp_path: Path) -> None:
    head = (
        'schema_version = 1\nid = "x"\nstatus = "complete"\n'
        '[config]\nmodels = [{id = "demo/atlas", provider = "demo"}]\n'
    )
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + head.encode("utf-8"))
    assert load_session(bom).id == "x"
    deep = tmp_path / "deep.toml"
    deep.write_text(head + "x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    result = run_cli("run", "--demo", "--resume", str(deep), "--dry-run")
    assert_one_line_error(result, deep, "nest too deeply")


def test_a_session_file_past_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cltui.core.sessions import files
    from cltui.core.sessions.errors import SessionError

    monkeypatch.setattr(files, "MAX_SESSION_BYTES", 1024)  # the real limit is 128 MB
    big = tmp_path / "big.toml"
    big.write_text('schema_version = 1\nid = "x"\n' + "# padding\n" * 200, encoding="utf-8")
    with pytest.raises(SessionError, match="is larger than 0 MB"):
        load_session(big)
    assert not files.is_session_file(big)
