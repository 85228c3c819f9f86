"""`cltui run` when the session cannot be saved: refused before any call when that can be known,
otherwise a failed exit of its own (3), never a `saved:` line for a file that is not there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support.http_server import BackgroundServer, FakeOpenAI

REPO = Path(__file__).resolve().parent.parent

DISK_FULL = """\
import errno, os, sys
def disk_full(src, dst):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
os.replace = disk_full
from cltui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_cli(*args: str, python: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLTUI_DEMO_SPEED": "1000"}
    command = ["-c", python, *args] if python else ["-m", "cltui", *args]
    return subprocess.run(
        [sys.executable, *command], env=env, capture_output=True, text=True, timeout=60
    )


def local_config(directory: Path, server: BackgroundServer) -> Path:
    """A consensus on a keyless local endpoint: every model call is a request the server sees."""
    path = directory / "consensus.toml"
    path.write_text(
        "iterations = 1\n"
        '[[models]]\nid = "fake/alpha"\nprovider = "local"\n'
        '[[models]]\nid = "fake/beta"\nprovider = "local"\n'
        '[aggregator]\nmodel = "fake/gamma"\nprovider = "local"\n'
        f'[providers.local]\nbase_url = "{server.base_url}"\n',
        encoding="utf-8",
    )
    return path


def chats(server: BackgroundServer) -> int:
    return sum(r.route == "/chat/completions" for r in server.requests)


def test_sessions_dir_naming_a_file_is_refused_before_any_call(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("mine\n", encoding="utf-8")
    with BackgroundServer(FakeOpenAI()) as server:
        config = local_config(tmp_path, server)
        result = run_cli("run", str(config), "--prompt", "q", "--sessions-dir", str(not_a_folder))
        assert chats(server) == 0
    assert result.returncode == 2, result.stderr
    assert f"{not_a_folder} is a file, not a folder" in result.stderr
    assert "saved" not in result.stderr and result.stdout == ""
    assert not_a_folder.read_text(encoding="utf-8") == "mine\n"


def test_save_naming_a_folder_is_refused_before_any_call(tmp_path: Path) -> None:
    with BackgroundServer(FakeOpenAI()) as server:
        config = local_config(tmp_path, server)
        result = run_cli("run", str(config), "--prompt", "q", "--save", str(tmp_path))
        assert chats(server) == 0
    assert result.returncode == 2
    assert f"{tmp_path}: is a folder; give a file name" in result.stderr
    assert "saved" not in result.stderr


def test_save_never_overwrites_a_file_that_is_not_a_session(tmp_path: Path) -> None:
    with BackgroundServer(FakeOpenAI()) as server:
        config = local_config(tmp_path, server)
        before = config.read_bytes()
        result = run_cli("run", str(config), "--prompt", "q", "--save", str(config))
        assert chats(server) == 0
    assert result.returncode == 2
    assert f"{config}: exists and is not a cltui session; not overwritten" in result.stderr
    assert config.read_bytes() == before


def test_save_never_replaces_another_session(tmp_path: Path) -> None:
    target = tmp_path / "out.toml"
    assert run_cli("run", "--demo", "--prompt", "first", "--save", str(target)).returncode == 0
    before = target.read_bytes()
    result = run_cli("run", "--demo", "--prompt", "second", "--save", str(target))
    assert result.returncode == 2, result.stderr
    assert "holds another session ('first'); not overwritten" in result.stderr
    assert f"--resume {target}" in result.stderr
    assert target.read_bytes() == before
    resumed = run_cli("run", "--demo", "--resume", str(target), "--prompt", "second")
    assert resumed.returncode == 0, resumed.stderr
    doc = tomllib.loads(target.read_text(encoding="utf-8"))
    assert [t["prompt"] for t in doc["turns"]] == ["first", "second"]


def test_a_disk_full_run_exits_3_and_never_claims_a_save(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    target = folder / "run.toml"
    result = run_cli("run", "--demo", "--prompt", "q", "--save", str(target), python=DISK_FULL)
    assert result.returncode == 3, result.stderr
    assert not any(line.startswith("saved:") for line in result.stderr.splitlines())
    assert f"NOT SAVED: {target}: No space left on device" in result.stderr
    assert result.stderr.count("NOT SAVED") == 1  # said once, retried quietly after every reply
    assert f"cltui: {target}: cannot save: No space left on device. The answer is only" in (
        result.stderr
    )
    assert result.stdout.strip()  # the answer that was paid for is still printed
    assert not target.exists()
    assert list(folder.iterdir()) == []  # no temp file, no lock file left behind


def test_continuing_a_shipped_example_leaves_it_as_shipped(
    tmp_path: Path, isolated_environment: Path
) -> None:
    example = tmp_path / "example-council.toml"
    shutil.copyfile(REPO / "sessions" / "example-council.toml", example)
    before = example.read_bytes()
    result = run_cli("run", "--demo", "--resume", str(example), "--prompt", "one more")
    assert result.returncode == 0, result.stderr
    assert f"continuing the example {example} in a copy" in result.stderr
    assert example.read_bytes() == before
    (copy,) = (isolated_environment / "sessions").glob("*.toml")
    assert f"saved: {copy}" in result.stderr
    turns = tomllib.loads(copy.read_text(encoding="utf-8"))["turns"]
    assert turns[-1]["prompt"] == "one more"
    assert len(turns) == len(tomllib.loads(before.decode("utf-8"))["turns"]) + 1
