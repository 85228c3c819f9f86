"""The consensus config: defaults that work, the seed's input.json, and errors that say where."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cltui.core.config import (
    ConfigError,
    ConsensusConfig,
    default_config,
    demo_config,
    load_config,
    parse_config,
)
from cltui.core.messages import ChatMessage

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "c.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_working_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, '[[models]]\nid = "a/b"\n')
    config = load_config(path)
    assert [m.id for m in config.models] == ["a/b"]
    assert config.is_plain_chat
    assert config.strategy == "iterative"
    assert config.rounds == 2
    assert config.models[0].provider == "openrouter"


def test_full_config_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
strategy = "iterative"
iterations = 3
aggregated_prompt_type = "assistant"
improvement_prompt = "Improve."
quorum = 2
stop_when_agreement = 0.9
[[conversation]]
role = "system"
content = "Be brief."
[[models]]
id = "x/one"
max_tokens = 100
temperature = 0.2
system = "You are one."
[[models]]
id = "x/two"
count = 2
provider = "local"
[aggregator]
model = "x/agg"
fallback = "x/backup"
context = [{ role = "system", content = "Merge." }]
prompt = [{ role = "user", content = "Go." }]
[providers.local]
base_url = "http://127.0.0.1:9/v1/"
""",
    )
    config = load_config(path)
    assert [m.name for m in config.models] == ["x/one", "x/two #1", "x/two #2"]
    assert config.models[0].system == "You are one."
    assert config.providers["local"].base_url == "http://127.0.0.1:9/v1"
    assert config.aggregator is not None
    assert config.aggregator.fallback is not None and config.aggregator.fallback.id == "x/backup"
    assert config.aggregator.context == (ChatMessage("system", "Merge."),)
    assert config.conversation == (ChatMessage("system", "Be brief."),)
    assert config.aggregated_prompt_type == "assistant"
    assert config.stop_when_agreement == 0.9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models = [\n", "c.toml: invalid TOML"),
        ('[[models]]\nid = "a"\ntemprature = 1', "models[0].temprature: unknown key (did you mean"),
        ("[[models]]\nid = 3", "models[0].id: must be a string, not a whole number"),
        (
            '[[models]]\nid = "a"\nmax_tokens = "many"',
            "models[0].max_tokens: must be a whole number",
        ),
        ('iterations = -1\n[[models]]\nid = "a"', "iterations: must be at least 0, not -1"),
        ("models = []", "models: is empty"),
        ('strategy = "vote"\n[[models]]\nid = "a"', "strategy: 'vote' is not one of"),
        (
            '[[models]]\nid = "a"\nprovider = "nowhere"',
            "models[0].provider: unknown provider 'nowhere'",
        ),
        (
            '[[conversation]]\nrole = "boss"\ncontent = "x"\n[[models]]\nid = "a"',
            "conversation[0].role: 'boss' is not one of",
        ),
        ('[[models]]\nid = "a"\n[[models]]\nid = "b"', "aggregator: is missing"),
        ('[[models]]\nid = "a"\ntemperature = 7', "models[0].temperature: must be between 0 and 2"),
        ('colour = "red"\n[[models]]\nid = "a"', "colour: unknown key"),
        (
            '[[models]]\nid = "a"\n[models.params]\nstream = false',
            "models[0].params.stream: is set by cltui for every call",
        ),
        (
            '[[models]]\nid = "a"\n[aggregator]\nmodel = "b"\nparams = { model = "c" }',
            "aggregator.params.model: is set by cltui",
        ),
    ],
)
def test_bad_configs_give_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert expected in message
    assert message.startswith(str(path))
    assert "\n" not in message.strip() or "invalid TOML" in message
    assert "Traceback" not in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml: file not found"):
        load_config(tmp_path / "nope.toml")


def test_seed_input_json_is_converted() -> None:
    config = load_config(REPO / "examples" / "input.json")
    assert len(config.models) == 3
    assert config.iterations == 2
    assert config.aggregated_prompt_type == "system"
    assert config.aggregator is not None
    assert config.aggregator.model.id == "meta-llama/llama-3.3-70b-instruct"
    assert config.aggregator.context[0].content.startswith("Your role is to objectively")
    assert config.conversation == (
        ChatMessage("system", "You are an expert on urban infrastructure."),
    )


def test_seed_json_errors_name_the_seed_keys(tmp_path: Path) -> None:
    data = {
        "models": [{"id": "a", "max_tokens": 10, "temperature": 0.7}],
        "aggregator": [
            {"model": {"id": "b"}, "aggregator_context": [{"role": "x", "content": ""}]}
        ],
    }
    path = write(tmp_path, json.dumps(data), "input.json")
    with pytest.raises(ConfigError, match=r"aggregator\[0\].aggregator_context\[0\].role"):
        load_config(path)


@pytest.mark.parametrize("config", [demo_config(), default_config(), demo_config("blender")])
def test_to_dict_round_trips(config: ConsensusConfig) -> None:
    assert parse_config(config.to_dict()) == config


def test_demo_routing_and_base_url_override() -> None:
    config = default_config().with_demo_models()
    assert {m.provider for m in config.all_models()} == {"demo"}
    moved = default_config().with_base_url("http://127.0.0.1:1234/v1/")
    assert moved.providers["openrouter"].base_url == "http://127.0.0.1:1234/v1"


@pytest.mark.parametrize("path", sorted((REPO / "examples").iterdir()), ids=lambda p: p.name)
def test_shipped_examples_load(path: Path) -> None:
    assert load_config(path).models


def test_core_imports_without_textual() -> None:
    """Every module of cltui.core (and the headless command) loads without Textual.

    Rich is left to the import contracts (`lint-imports`), which read cltui's own imports:
    httpx loads Rich for its command line whenever click is installed, as in the dev tools."""
    code = (
        "import importlib, pkgutil, sys, cltui.core, cltui.headless\n"
        "for info in pkgutil.walk_packages(cltui.core.__path__, 'cltui.core.'):\n"
        "    importlib.import_module(info.name)\n"
        "found = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
        "assert not found, found"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
