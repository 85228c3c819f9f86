"""Session files: exact round trips, atomic writes, clear load errors, the recorder, listing."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

import pytest
import tomli_w
from support.session_samples import HOSTILE_STRINGS, full_reply, sample_session

from cltui.core.events import (
    JudgementMade,
    RankingReady,
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    RoundFinished,
    RoundStarted,
    TurnFinished,
    TurnStarted,
)
from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.files import (
    default_session_path,
    load_session,
    save_session,
    session_file_name,
)
from cltui.core.sessions.from_data import session_from_dict
from cltui.core.sessions.listing import list_sessions, resolve_session_ref
from cltui.core.sessions.model import Judgement, Reply, Round, Session, Turn
from cltui.core.sessions.recorder import SessionRecorder
from cltui.core.sessions.safe_text import title_from_prompt
from cltui.core.sessions.to_data import session_to_dict
from cltui.core.sessions.toml_text import session_to_toml


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """An empty folder of the test's own (tmp_path also holds the isolated home)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def hostile_session(text: str) -> Session:
    """A session with the text in every kind of string field."""
    reply = dataclasses.replace(full_reply(model=text or "m", content=text), reasoning=text)
    reply.error = text
    return Session(
        config={"strategy": "iterative", "improvement_prompt": text, "models": [{"id": "m"}]},
        title=text,
        turns=[
            Turn(
                prompt=text,
                final=text,
                status="complete",
                rounds=[
                    Round(
                        index=0,
                        replies=[reply],
                        aggregate=dataclasses.replace(reply, role="aggregator"),
                        judgements=[Judgement(text, text, "first", raw=text)],
                        ranking=[{"model": text, "score": 1.5, "rank": 1}],
                    )
                ],
            )
        ],
    )


# --------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("text", HOSTILE_STRINGS.values(), ids=HOSTILE_STRINGS.keys())
def test_hostile_strings_round_trip_exactly(tmp: Path, text: str) -> None:
    session = hostile_session(text)
    path = tmp / "s.toml"
    save_session(session, path)
    loaded = load_session(path)
    assert loaded == session
    assert loaded.turns[0].rounds[0].replies[0].content == text


@pytest.mark.parametrize("text", HOSTILE_STRINGS.values(), ids=HOSTILE_STRINGS.keys())
def test_written_text_is_plain_toml_that_parses_to_the_dict(text: str) -> None:
    session = hostile_session(text)
    written = session_to_toml(session)
    assert tomllib.loads(written) == session_to_dict(session)
    # The same data as tomli-w's own default output would give.
    assert tomllib.loads(written) == tomllib.loads(tomli_w.dumps(session_to_dict(session)))
    assert '"""' not in written.replace('\\"', "")  # no multi-line strings


def test_hostile_text_cannot_inject_toml_structure() -> None:
    session = hostile_session(HOSTILE_STRINGS["toml_lookalike"])
    data = tomllib.loads(session_to_toml(session))
    assert len(data["turns"]) == 1
    assert data["turns"][0]["prompt"] == HOSTILE_STRINGS["toml_lookalike"]


def test_every_reply_field_round_trips(tmp: Path) -> None:
    reply = full_reply()
    session = Session(config={}, turns=[Turn("q", rounds=[Round(0, replies=[reply])])])
    path = tmp / "s.toml"
    save_session(session, path)
    loaded = load_session(path).turns[0].rounds[0].replies[0]
    for f in dataclasses.fields(Reply):
        assert getattr(loaded, f.name) == getattr(reply, f.name), f.name


def test_multi_turn_session_round_trips(tmp: Path) -> None:
    session = sample_session(turns=3)
    path = tmp / "s.toml"
    save_session(session, path)
    assert load_session(path) == session


def test_default_fields_are_left_out_and_restored() -> None:
    reply = Reply(model="m", status="ok", content="hi")
    session = Session(config={"x": None, "y": 1}, turns=[Turn("q", rounds=[Round(0, [reply])])])
    data = session_to_dict(session)
    saved = data["turns"][0]["rounds"][0]["replies"][0]
    assert saved == {"model": "m", "status": "ok", "content": "hi", "prompt_tokens": 0,
                     "completion_tokens": 0}  # fmt: skip
    assert data["config"] == {"y": 1}
    loaded = session_from_dict(tomllib.loads(session_to_toml(session)), "x.toml")
    assert loaded.turns[0].rounds[0].replies[0] == reply


def test_layout_follows_the_design() -> None:
    text = session_to_toml(sample_session(turns=1))
    for header in ("[config]", "[[turns]]", "[[turns.rounds]]", "[[turns.rounds.replies]]",
                   "[turns.rounds.aggregate]", "[[turns.rounds.reviews]]",
                   "[[turns.rounds.judgements]]", "[[turns.rounds.ranking]]"):  # fmt: skip
        assert f"\n{header}\n" in text
    assert text.startswith("schema_version = 1\n")


@pytest.mark.parametrize(("content", "saved"), [("half an answ", "partial"), ("", "cancelled")])
def test_pending_reply_is_saved_as_partial_or_cancelled(content: str, saved: str) -> None:
    reply = Reply(model="m", status="pending", content=content)
    session = Session(config={}, turns=[Turn("q", rounds=[Round(0, [reply])])])
    data = tomllib.loads(session_to_toml(session))
    assert data["turns"][0]["rounds"][0]["replies"][0]["status"] == saved
    assert reply.status == "pending"  # the live session is not changed


def test_lone_surrogates_are_replaced_not_fatal(tmp: Path) -> None:
    session = hostile_session("bad \ud800 pair \ud83d\ude00 end")
    path = tmp / "s.toml"
    save_session(session, path)
    loaded = load_session(path)
    assert loaded.turns[0].prompt == "bad \ufffd pair 😀 end"


def test_nan_and_infinite_numbers_survive(tmp: Path) -> None:
    reply = Reply(model="m", status="ok", cost=float("inf"))
    session = Session(config={}, turns=[Turn("q", rounds=[Round(0, [reply], agreement=-0.0)])])
    path = tmp / "s.toml"
    save_session(session, path)
    assert load_session(path).turns[0].rounds[0].replies[0].cost == float("inf")


# --------------------------------------------------------------------------------------------
# Writing


def test_save_creates_the_folder_and_sets_updated_at(tmp: Path) -> None:
    session = sample_session(turns=1)
    session.updated_at = "2000-01-01T00:00:00+00:00"
    path = tmp / "deep" / "er" / "s.toml"
    save_session(session, path)
    assert path.is_file()
    assert session.updated_at > "2000-01-01T00:00:00+00:00"
    assert load_session(path).updated_at == session.updated_at


def _folder_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_failed_replace_keeps_the_old_file_and_leaves_no_temp_file(
    tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp / "s.toml"
    save_session(sample_session(turns=1), path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(SessionError, match=r"s\.toml: cannot save: No space left on device"):
        save_session(sample_session(turns=3), path)
    assert path.read_bytes() == before
    assert _folder_names(tmp) == ["s.toml"]


def test_unencodable_content_keeps_the_old_file(tmp: Path) -> None:
    path = tmp / "s.toml"
    save_session(sample_session(turns=1), path)
    before = path.read_bytes()
    broken = sample_session(turns=1)
    broken.turns[0].rounds[0].ranking = [{"model": "m", "score": object()}]
    with pytest.raises(SessionError, match="cannot save"):
        save_session(broken, path)
    assert path.read_bytes() == before
    assert _folder_names(tmp) == ["s.toml"]


def test_existing_file_keeps_its_permissions(tmp: Path) -> None:
    path = tmp / "s.toml"
    save_session(sample_session(turns=1), path)
    assert path.stat().st_mode & 0o777 == 0o600  # conversations are private by default
    path.chmod(0o640)
    save_session(sample_session(turns=1), path)
    assert path.stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------------------------
# Loading errors


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _valid_data() -> dict:
    return session_to_dict(sample_session(turns=3))


def test_missing_file(tmp: Path) -> None:
    path = tmp / "nope.toml"
    with pytest.raises(SessionError) as info:
        load_session(path)
    assert str(info.value) == f"{path}: no such session file"


def test_not_toml_names_line_and_column(tmp: Path) -> None:
    path = _write(tmp / "bad.toml", 'schema_version = 1\nid = "x\n')
    with pytest.raises(SessionError) as info:
        load_session(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not valid TOML: ")
    assert "line 2" in message and "column" in message
    assert "\n" not in message


def test_not_utf8(tmp: Path) -> None:
    path = tmp / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SessionError, match=r"bin\.toml: not a text file"):
        load_session(path)


def test_folder_instead_of_file(tmp: Path) -> None:
    folder = tmp / "dir.toml"
    folder.mkdir()
    with pytest.raises(SessionError, match="is a folder"):
        load_session(folder)


def test_missing_schema_version(tmp: Path) -> None:
    path = _write(tmp / "s.toml", 'id = "x"\n')
    with pytest.raises(SessionError, match="schema_version is missing"):
        load_session(path)


def test_newer_schema_version(tmp: Path) -> None:
    data = _valid_data()
    data["schema_version"] = 2
    path = _write(tmp / "s.toml", tomli_w.dumps(data))
    with pytest.raises(SessionError) as info:
        load_session(path)
    assert str(info.value) == (
        f"{path}: was written by a newer cltui (schema 2); upgrade cltui to open it"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("id"), "id: missing"),
        (lambda d: d.pop("config"), "config: missing"),
        (lambda d: d.update(config="x"), "config: expected a table, got a string"),
        (lambda d: d.update(status="paused"),
         "status: 'paused' is not one of running, interrupted, complete, failed"),
        (lambda d: d.update(schema_version="1"), "schema_version: expected a whole number"),
        (lambda d: d.update(turns={"a": 1}), "turns: expected a list of tables, got a table"),
        (lambda d: d["turns"][1].pop("prompt"), "turns[1].prompt: missing"),
        (lambda d: d["turns"][1].update(prompt=3),
         "turns[1].prompt: expected a string, got a whole number"),
        (lambda d: d["turns"][2]["rounds"][0]["replies"][1].update(status="done"),
         "turns[2].rounds[0].replies[1].status: 'done' is not one of ok, truncated, error, "
         "cancelled, partial"),
        (lambda d: d["turns"][2]["rounds"][0]["replies"][1].update(status="pending"),
         "turns[2].rounds[0].replies[1].status: 'pending' is not one of"),
        (lambda d: d["turns"][0]["rounds"][1]["aggregate"].update(prompt_tokens=-1),
         "turns[0].rounds[1].aggregate.prompt_tokens: expected a number of at least 0"),
        (lambda d: d["turns"][0]["rounds"][1]["aggregate"].update(cost="free"),
         "turns[0].rounds[1].aggregate.cost: expected a number, got a string"),
        (lambda d: d["turns"][0]["rounds"][0].update(index=True),
         "turns[0].rounds[0].index: expected a whole number, got true/false"),
        (lambda d: d["turns"][0]["rounds"][1].update(index=0),
         "turns[0].rounds[1].index: expected 1 (rounds are numbered in order)"),
        (lambda d: d["turns"][0]["rounds"][0].update(index=3),
         "turns[0].rounds[0].index: expected 0"),
        (lambda d: d["turns"][0]["rounds"][0]["judgements"][0].pop("verdict"),
         "turns[0].rounds[0].judgements[0].verdict: missing"),
        (lambda d: d["turns"][0]["rounds"][0]["reviews"][0].update(role="boss"),
         "turns[0].rounds[0].reviews[0].role: 'boss' is not one of"),
        (lambda d: d["turns"][0]["rounds"][0]["replies"][0].update(cost_estimated="yes"),
         "turns[0].rounds[0].replies[0].cost_estimated: expected true or false"),
        (lambda d: d["turns"][0]["rounds"][0]["replies"][0].pop("model"),
         "turns[0].rounds[0].replies[0].model: missing"),
    ],
)  # fmt: skip
def test_bad_fields_are_named_with_their_key_path(tmp: Path, change, expected: str) -> None:
    data = _valid_data()
    change(data)
    path = _write(tmp / "s.toml", tomli_w.dumps(data))
    with pytest.raises(SessionError) as info:
        load_session(path)
    assert str(info.value).startswith(f"{path}: {expected}")
    assert "\n" not in str(info.value)


def test_failed_load_leaves_the_file_untouched(tmp: Path) -> None:
    data = _valid_data()
    data["schema_version"] = 7
    path = _write(tmp / "s.toml", tomli_w.dumps(data))
    os.utime(path, (1_000_000_000, 1_000_000_000))
    before = path.read_bytes()
    with pytest.raises(SessionError):
        load_session(path)
    assert path.read_bytes() == before
    assert path.stat().st_mtime == 1_000_000_000
    assert _folder_names(tmp) == ["s.toml"]


def test_successful_load_leaves_the_file_untouched(tmp: Path) -> None:
    path = tmp / "s.toml"
    save_session(sample_session(), path)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    before = path.read_bytes()
    load_session(path)
    assert path.read_bytes() == before
    assert path.stat().st_mtime == 1_000_000_000


def test_unknown_keys_are_tolerated(tmp: Path) -> None:
    data = _valid_data()
    data["future_field"] = {"x": 1}
    data["turns"][0]["rounds"][0]["replies"][0]["logprobs"] = [1, 2]
    path = _write(tmp / "s.toml", tomli_w.dumps(data))
    assert load_session(path).turns[0].rounds[0].replies[0].model == "demo/atlas"


# --------------------------------------------------------------------------------------------
# Recorder


def _reply(model: str = "demo/atlas") -> Reply:
    return Reply(model=model, status="ok", content="done", prompt_tokens=1, completion_tokens=2)


def _saved_events(tmp: Path) -> tuple[SessionRecorder, list[Path], Session]:
    session = Session(config={"models": [{"id": "demo/atlas"}]})
    saved: list[Path] = []
    recorder = SessionRecorder(session, tmp / "s.toml", on_saved=saved.append)
    return recorder, saved, session


def test_recorder_saves_after_work_events_only(tmp: Path) -> None:
    recorder, saved, session = _saved_events(tmp)
    turn = Turn(prompt="Why?\nsecond line")
    session.turns.append(turn)
    recorder(TurnStarted(session, 0, turn.prompt))
    assert len(saved) == 1
    assert session.title == "Why?"
    recorder(RoundStarted(0, 0, 2))
    recorder(ReplyStarted(0, 0, "demo/atlas", "demo/atlas", "proposer"))
    turn.rounds.append(Round(0, [Reply(model="demo/atlas")]))
    recorder(ReplyDelta(0, 0, "demo/atlas", text="do"))
    assert len(saved) == 1
    reply = turn.rounds[0].replies[0]
    reply.status, reply.content = "ok", "done"
    recorder(ReplyFinished(0, 0, "demo/atlas", reply))
    assert len(saved) == 2
    on_disk = load_session(tmp / "s.toml")
    assert on_disk.turns[0].rounds[0].replies[0].content == "done"
    recorder(JudgementMade(0, 0, Judgement("a", "b", "first")))
    recorder(RankingReady(0, 0, []))
    recorder(RoundFinished(0, 0, agreement=0.5))
    turn.status = "complete"
    recorder(TurnFinished(0, "complete", final="done"))
    assert len(saved) == 6
    assert saved == [tmp / "s.toml"] * 6
    assert load_session(tmp / "s.toml").turns[0].status == "complete"


def test_recorder_saves_a_running_reply_as_partial(tmp: Path) -> None:
    recorder, _, session = _saved_events(tmp)
    session.turns.append(Turn("q", rounds=[Round(0, [_reply(), Reply("demo/b", content="ha")])]))
    recorder(ReplyFinished(0, 0, "demo/atlas", session.turns[0].rounds[0].replies[0]))
    statuses = [r.status for r in load_session(tmp / "s.toml").turns[0].rounds[0].replies]
    assert statuses == ["ok", "partial"]


def test_recorder_reuses_unchanged_turns_but_sees_changes(tmp: Path) -> None:
    recorder, _, session = _saved_events(tmp)
    session.turns = sample_session(turns=3).turns
    recorder.save()
    session.turns[0].rounds[0].replies[0].content = "edited in place"
    session.turns[2].final = "new final"
    recorder.save()
    loaded = load_session(tmp / "s.toml")
    assert loaded.turns[0].rounds[0].replies[0].content == "edited in place"
    assert loaded.turns[2].final == "new final"
    assert loaded == session


def test_mark_interrupted_saves_the_status(tmp: Path) -> None:
    recorder, saved, session = _saved_events(tmp)
    session.turns.append(Turn("done", status="complete"))
    session.turns.append(Turn("running", rounds=[Round(0, [Reply("demo/atlas", content="x")])]))
    assert recorder.mark_interrupted()
    loaded = load_session(tmp / "s.toml")
    assert loaded.status == "interrupted"
    assert [t.status for t in loaded.turns] == ["complete", "interrupted"]
    assert loaded.turns[1].rounds[0].replies[0].status == "partial"


def test_recorder_survives_write_errors(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[str] = []
    saved: list[Path] = []
    session = Session(config={})
    path = tmp / "s.toml"
    recorder = SessionRecorder(session, path, on_saved=saved.append, on_error=errors.append)
    real_replace = os.replace

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    recorder(TurnFinished(0, "complete"))
    assert recorder.last_error is not None
    assert "No space left on device" in recorder.last_error
    assert errors == [recorder.last_error]
    assert saved == []
    assert _folder_names(tmp) == []

    monkeypatch.setattr(os, "replace", real_replace)
    recorder(TurnFinished(0, "complete"))
    assert recorder.last_error is None
    assert saved == [path]


def test_recorder_reports_an_unwritable_folder(tmp: Path) -> None:
    blocker = tmp / "file"
    blocker.write_text("not a folder")
    errors: list[str] = []
    recorder = SessionRecorder(Session(config={}), blocker / "s.toml", on_error=errors.append)
    assert recorder.save() is False
    assert len(errors) == 1 and "cannot save" in errors[0]


def test_large_session_saves_with_cached_turns(tmp: Path) -> None:
    session = sample_session(turns=50)
    recorder = SessionRecorder(session, tmp / "s.toml")
    for _ in range(3):
        assert recorder.save()
    assert load_session(tmp / "s.toml") == session


# --------------------------------------------------------------------------------------------
# Names, titles, listing, references


def test_session_file_name_cannot_escape_the_folder(tmp: Path) -> None:
    assert session_file_name(Session(config={}, id="20250101-000000-abc")) == (
        "20250101-000000-abc.toml"
    )
    evil = Session(config={}, id="../../etc/passwd")
    path = default_session_path(tmp, evil)
    assert path.parent == tmp
    assert "/" not in path.name and not path.name.startswith(".")


@pytest.mark.parametrize(
    ("prompt", "title"),
    [
        ("Why is the sky blue?", "Why is the sky blue?"),
        ("\n\n   first   real\tline  \nsecond", "first real line"),
        ("\x1b[31mred\x1b[0m \u202eflip", "␛[31mred␛[0m flip"),
        ("", ""),
    ],
)
def test_title_from_prompt(prompt: str, title: str) -> None:
    assert title_from_prompt(prompt) == title


def test_long_titles_are_cut_at_a_word() -> None:
    title = title_from_prompt("explain " * 30)
    assert len(title) <= 60
    assert title.endswith("explain…")


def _save_at(folder: Path, session_id: str, updated: str, title: str = "t") -> Path:
    session = sample_session(turns=1)
    session.id, session.title = session_id, title
    path = default_session_path(folder, session)
    save_session(session, path)
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    data["updated_at"] = updated
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_list_sessions_newest_first_with_damaged_files(tmp: Path) -> None:
    _save_at(tmp, "old", "2024-01-01T00:00:00+00:00", "Old one")
    _save_at(tmp, "new", "2025-06-01T00:00:00+00:00", "New one")
    (tmp / "broken.toml").write_text("this is [ not toml", encoding="utf-8")
    (tmp / ".hidden.toml.tmp").write_text("x", encoding="utf-8")
    (tmp / "notes.txt").write_text("x", encoding="utf-8")
    summaries = list_sessions(tmp)
    by_id = {s.id: s for s in summaries}
    assert set(by_id) == {"old", "new", "broken"}
    good = [s.id for s in summaries if not s.error]
    assert good == ["new", "old"]
    new = by_id["new"]
    assert new.title == "New one" and new.turns == 1 and new.status == "complete"
    assert new.models == ("demo/atlas", "demo/borealis", "demo/cirrus")
    assert new.cost == pytest.approx(2 * (0.001 * 2 + 0.002))
    broken = by_id["broken"]
    assert broken.damaged and "not valid TOML" in broken.error
    assert broken.path == tmp / "broken.toml"


def test_list_sessions_of_a_missing_folder_is_empty(tmp: Path) -> None:
    assert list_sessions(tmp / "nothing") == []


def test_resolve_session_ref(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _save_at(tmp, "20250101-aaaa", "2025-01-01T00:00:00+00:00")
    second = _save_at(tmp, "20250101-abbb", "2025-01-01T00:00:00+00:00")
    assert resolve_session_ref(str(first), tmp) == first
    assert resolve_session_ref(first.name, tmp) == first
    assert resolve_session_ref("20250101-aaaa", tmp) == first
    assert resolve_session_ref("20250101-ab", tmp) == second
    monkeypatch.chdir(tmp)
    assert resolve_session_ref(second.name, tmp / "elsewhere") == Path(second.name)

    renamed = tmp / "my-favourite.toml"
    _save_at(tmp, "20250202-cccc", "2025-01-01T00:00:00+00:00").rename(renamed)
    assert resolve_session_ref("20250202", tmp) == renamed

    with pytest.raises(SessionError) as info:
        resolve_session_ref("20250101-a", tmp)
    assert "matches 2 sessions" in str(info.value)
    with pytest.raises(SessionError) as info:
        resolve_session_ref("zzz", tmp)
    assert str(info.value) == (
        f"no session matches 'zzz' in {tmp}; run `cltui sessions` to list them"
    )
    with pytest.raises(SessionError, match="no such session file"):
        resolve_session_ref("some/where.toml", tmp)
    with pytest.raises(SessionError, match="no session given"):
        resolve_session_ref("  ", tmp)
