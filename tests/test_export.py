"""Markdown and JSON exports: complete, escaped where it matters, never holding a key."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from support.session_samples import HOSTILE_STRINGS, sample_session

from cltui.core.engine import ConsensusEngine
from cltui.core.export import escape_inline, session_to_json, session_to_markdown
from cltui.core.sessions.model import Reply, Round, Session, Turn
from cltui.core.sessions.to_data import session_to_dict
from cltui.core.sessions.toml_text import session_to_toml
from tests.support.scripted import ScriptedBackend, consensus_config


def test_markdown_has_metadata_turns_rounds_and_final() -> None:
    text = session_to_markdown(sample_session(turns=2))
    assert text.startswith("# Why is the sky blue?\n")
    assert "- **Status:** complete" in text
    assert "- **Strategy:** blender" in text
    assert "- **Models:** demo/atlas, demo/borealis, demo/cirrus" in text
    assert "- **Total:** " in text and "20 calls" in text
    assert text.count("## Turn ") == 2
    assert "Question 1: why is the sky blue?" in text
    assert "### Round 1 (layer 1)" in text and "### Round 2 (layer 2)" in text
    assert "\n##### Answer from demo/atlas\n\nRayleigh scattering, round 0." in text
    assert "#### demo/cirrus · error" in text
    assert "**Error:** model not found" in text
    assert "#### Aggregate: demo/synthesis · ok · 700 tokens · ~$0.002 · " not in text
    assert "#### Aggregate: demo/synthesis · ok · 700 tokens · ~$0.002" in text
    assert "| 1 | demo/atlas | 2 |" in text
    assert "| demo/atlas | demo/borealis | first |" in text
    assert "Agreement with the previous round: 88%" in text
    assert "### Final answer\n\n> Merged answer 1.1\n" in text


def test_reply_heading_shows_tokens_cost_and_time() -> None:
    text = session_to_markdown(sample_session(turns=1))
    assert "#### demo/atlas · ok · 300 tokens · $0.001 · 1.5 s" in text


def test_model_names_and_errors_are_escaped_in_headings_and_tables() -> None:
    evil = "evil|model\n# heading <script>"
    reply = Reply(model=evil, status="error", error="bad | thing\nsecond [link](x)")
    session = Session(
        config={},
        title="[/red] title\x1b[31m",
        turns=[Turn("q", rounds=[Round(0, [reply], ranking=[{"model": evil, "rank": 1}])])],
    )
    text = session_to_markdown(session)
    assert "#### evil\\|model \\# heading \\<script\\> · error" in text
    assert "**Error:** bad \\| thing second \\[link\\](x)" in text
    assert "| 1 | evil\\|model \\# heading \\<script\\> |  |" in text
    assert text.startswith("# \\[/red\\] title␛\\[31m\n")
    assert "\x1b" not in text


def test_model_content_goes_in_verbatim() -> None:
    content = "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('x')\n```"
    session = Session(config={}, turns=[Turn("q", rounds=[Round(0, [Reply("m", "ok", content)])])])
    assert content in session_to_markdown(session)


def test_an_unclosed_code_fence_is_closed_after_the_content() -> None:
    content = "Here:\n```python\nprint('cut off"
    turns = [Turn("q", rounds=[Round(0, [Reply("m", "partial", content), Reply("n", "ok", "x")])])]
    text = session_to_markdown(Session(config={}, turns=turns))
    assert content + "\n```\n" in text
    assert text.count("```") == 2


@pytest.mark.parametrize("text", HOSTILE_STRINGS.values(), ids=HOSTILE_STRINGS.keys())
def test_markdown_and_json_survive_hostile_strings(text: str) -> None:
    session = Session(
        config={"models": [{"id": text}]},
        title=text,
        turns=[Turn(text, final=text, rounds=[Round(0, [Reply(text or "m", "ok", text)])])],
    )
    assert isinstance(session_to_markdown(session), str)
    assert json.loads(session_to_json(session))["turns"][0]["prompt"] == text


def test_json_is_the_session_data() -> None:
    session = sample_session(turns=2)
    text = session_to_json(session)
    assert json.loads(text) == session_to_dict(session)
    assert json.loads(text) == tomllib.loads(session_to_toml(session))
    assert text.startswith('{\n  "schema_version": 1,')


def test_json_keeps_non_ascii_readable() -> None:
    session = Session(config={}, title="naïve 😀")
    assert "naïve 😀" in session_to_json(session)


def test_exports_never_hold_an_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-or-v1-" + "0123456789abcdef" * 4
    monkeypatch.setenv("OPENROUTER_API_KEY", key)
    monkeypatch.setenv("MY_PROVIDER_KEY", key)
    session = sample_session(turns=1)
    for text in (session_to_markdown(session), session_to_json(session), session_to_toml(session)):
        assert key not in text
        assert "sk-or-" not in text


def test_escape_inline() -> None:
    assert escape_inline("a|b\nc") == "a\\|b c"
    assert escape_inline("openai/gpt-4o-mini") == "openai/gpt-4o-mini"


def positions(text: str, *parts: str) -> list[int]:
    """Where each part first appears in the text (-1 when it does not)."""
    return [text.find(part) for part in parts]


async def test_moa_rounds_list_every_layer_in_order_under_its_own_heading() -> None:
    config = consensus_config(("m/a", "m/b"), strategy="moa", layers=3, iterations=1)
    engine = ConsensusEngine(config, ScriptedBackend().backend_for)
    await engine.run_turn("Q")

    text = session_to_markdown(engine.session)

    first, second = text.split("### Round 2")
    for section, answers in ((first, range(1, 4)), (second, range(4, 7))):
        order = ["**Layer 1**", "**Layer 2**", "**Layer 3**"]
        expected = []
        for heading, n in zip(order, answers, strict=True):
            expected += [heading, f"m/a answer {n}", f"m/b answer {n}"]
        where = positions(section, *expected, "#### Aggregate: ")
        assert -1 not in where and where == sorted(where), section
    assert "Proposer" not in text


def test_other_reviews_keep_their_role_and_unsplittable_layers_stay_together() -> None:
    def reply(model: str, content: str, role: str = "proposer") -> Reply:
        return Reply(model, "ok", content, role=role)

    moa = Round(
        0,
        [reply("m/a", "last a"), reply("m/b", "last b")],
        reviews=[reply("m/a", "early a"), reply("m/b", "early b"), reply("m/a", "odd one")],
        layer=3,
    )
    council = Round(1, [reply("m/a", "proposal")], reviews=[reply("m/b", "rank", "reviewer")])
    text = session_to_markdown(Session(config={}, turns=[Turn("q", rounds=[moa, council])]))

    where = positions(text, "**Earlier layers**", "early a", "odd one", "**Layer 3**", "last b")
    assert -1 not in where and where == sorted(where)
    assert "**Layer 1**" not in text
    assert "#### Reviewer: m/b" in text
    assert text.count("**Layer") == 1


def _outline(markdown: str) -> list[tuple[int, str]]:
    """The document's headings as (level, text), skipping fenced code."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip("> ").startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^(?:> ?)?(#{1,6}) (.*)$", line)):
            out.append((len(m.group(1)), m.group(2)))
    return out


def test_an_answers_headings_stay_inside_the_section_they_belong_to() -> None:
    answer = (
        "# Overview\n\nIntro.\n\n## Details\n\nMore.\n\nUnderlined\n----------\n\ntext\n\n"
        "```md\n# not a heading\n```\n\n### Deep"
    )
    prompt = "## My question\nwith a heading"
    turn = Turn(
        prompt,
        status="complete",
        final="## Merged\n\nAll of it.",
        rounds=[Round(0, [Reply("a", "ok", answer)], aggregate=Reply("agg", "ok", "## Merged"))],
    )
    outline = _outline(session_to_markdown(Session(config={}, title="t", turns=[turn])))
    assert outline == [
        (1, "t"),
        (2, "Turn 1"),
        (3, "Question"),
        (4, "My question"),
        (3, "Round 1"),
        (4, "a · ok · 0 tokens"),
        (5, "Overview"),
        (6, "Details"),
        (6, "Underlined"),
        (6, "Deep"),
        (4, "Aggregate: agg · ok · 0 tokens"),
        (5, "Merged"),
        (3, "Final answer"),
        (4, "Merged"),
    ]
    text = session_to_markdown(Session(config={}, turns=[turn]))
    assert "```md\n# not a heading\n```" in text  # code is left alone
    assert "Intro.\n\n###### Details\n\nMore." in text  # the words all stay


def test_the_markdown_export_shows_control_characters_as_symbols() -> None:
    reply = Reply("m", "ok", "wipe\x1b[2J\r\nline\rover\x07")
    text = session_to_markdown(Session(config={}, turns=[Turn("q", rounds=[Round(0, [reply])])]))
    assert "wipe␛[2J\nline␍over␇" in text
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text)


def test_html_like_lines_in_an_answer_read_as_text_in_markdown_viewers() -> None:
    from markdown_it import MarkdownIt

    answer = '<response model="x">\nThe answer.\n</response>\n\n```html\n<div>code</div>\n```'
    reply = Reply("m", "ok", answer)
    text = session_to_markdown(Session(config={}, turns=[Turn("q", rounds=[Round(0, [reply])])]))
    assert '\\<response model="x">\nThe answer.\n\\</response>' in text
    assert "```html\n<div>code</div>\n```" in text  # code is left alone
    html = MarkdownIt("commonmark").render(text)  # a viewer that renders HTML blocks
    assert "&lt;response model=&quot;x&quot;&gt;\nThe answer." in html


def test_html_anywhere_in_an_answer_is_escaped_outside_code() -> None:
    from cltui.core.export import fit_into_section

    answer = (
        "Intro <span hidden>secret</span> and `Vec<T>` here\n"
        "- <div>list item\n"
        '> <response model="x">\n'
        "<!-- a comment\nthat runs -->\n\n"
        "    indented <code> block\n\n"
        "```\n<html> in fence\n```"
    )
    shown = fit_into_section(answer, 4).splitlines()
    assert shown[0] == r"Intro \<span hidden>secret\</span> and `Vec<T>` here"
    assert shown[1] == r"- \<div>list item"
    assert shown[2] == r'> \<response model="x">'
    assert shown[3] == r"\<!-- a comment"
    assert "    indented <code> block" in shown and "<html> in fence" in shown
