"""Sessions as documents: Markdown to read or share, JSON for scripts.

Model answers are Markdown already and go in as they are, but for two things (`fit_into_section`):
an answer's `## Summary` would otherwise sit above the `####` section it belongs to in the
document's outline, so its headings are moved below its section's level (keeping their order);
and a line opening an HTML block would hide text in Markdown viewers, so it is escaped. Everything
that lands in a heading or a table cell (model names, error messages, titles) is untrusted too,
so it is escaped there: a `|` or a newline must not break the table, and `<`/`[` must not become
HTML or links. The document is for people: control characters are shown as symbols
(`cltui.core.text.display`). The JSON keeps the exact text (escaped as JSON escapes it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from cltui.core.costs import (
    Totals,
    format_cost,
    format_tokens,
    format_total_cost,
    reply_totals,
    session_totals,
)
from cltui.core.judging import round_ranking_text
from cltui.core.sessions.model import Reply, Round, Session, Turn, final_reply
from cltui.core.sessions.safe_text import scrub_surrogates
from cltui.core.sessions.to_data import session_to_dict
from cltui.core.text import display, display_line, escape_json_text

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_INDENTED_CODE = re.compile(r"^( {4}|\t)")
_NOT_PARAGRAPH = re.compile(r"^ {0,3}([>*+-]|\d{1,9}[.)]|#{1,6}(?:[ \t]|$))|^ {4}|^\t")
MAX_HEADING_LEVEL = 6
TURN_PART_LEVEL = 3
"""The level of a turn's parts: `### Question`, `### Round 1`, `### Final answer`."""
REPLY_LEVEL = 4
"""The level of one reply's heading (`#### atlas · ok · ...`); its answer's headings go below."""


def escape_inline(text: str) -> str:
    """Text safe inside a heading or a table cell: one line, Markdown punctuation escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", display_line(text))


def _close_open_fence(text: str) -> str:
    """The text, plus a closing fence if it leaves a code block open (a cut-off answer), so the
    rest of the document is not swallowed into it."""
    open_fence = ""
    for line in text.splitlines():
        match = _FENCE.match(line)
        if not match:
            continue
        fence = match.group(1)
        if not open_fence:
            open_fence = fence
        elif fence[0] == open_fence[0] and len(fence) >= len(open_fence):
            if not line.strip()[len(fence) :].strip():
                open_fence = ""
    if open_fence:
        return text.rstrip("\n") + "\n" + open_fence
    return text


def fit_into_section(text: str, section_level: int) -> str:
    """`text` (Markdown from a model or a user) made to stay inside a section of `section_level`.

    Its headings move below that level: the highest becomes level `section_level + 1`, the
    others keep their distance from it (up to level 6); underlined (setext) headings become `#`
    headings. Every `<` that would open HTML (`<response model="x">`, `<span hidden>`, a
    comment), which Markdown viewers hide, is escaped so it reads as text, as it does in the
    app. Code blocks and code spans are left alone.
    """
    lines = text.split("\n")
    headings: dict[int, tuple[int, str]] = {}
    """line index -> (level, heading text); for a setext heading, the index of its text line."""
    underlines: set[int] = set()
    tagged: set[int] = set()
    """Lines with a `<` that opens an HTML tag or comment, outside code."""
    indented: set[int] = set()
    fence = ""
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            continue
        if _INDENTED_CODE.match(line) and (not index or not lines[index - 1].strip()
                                           or index - 1 in indented):  # fmt: skip
            indented.add(index)
            continue
        if _TAG_OPEN.search(line):
            tagged.add(index)
        atx = _ATX_HEADING.match(line)
        if atx:
            headings[index] = (len(atx.group(1)), atx.group(2))
            continue
        underline = _SETEXT_UNDERLINE.match(line)
        above = lines[index - 1] if index else ""
        if (
            underline
            and above.strip()
            and index - 1 not in headings
            and index - 1 not in underlines
            and not _NOT_PARAGRAPH.match(above)
            and not _FENCE.match(above)
        ):
            headings[index - 1] = (1 if underline.group(1)[0] == "=" else 2, above.strip())
            underlines.add(index)
    if not headings and not tagged:
        return text
    top = min((level for level, _ in headings.values()), default=1)
    shift = section_level + 1 - top
    out = []
    for index, line in enumerate(lines):
        if index in underlines:
            continue
        if index in headings:
            level, heading = headings[index]
            line = "#" * min(max(level + shift, 1), MAX_HEADING_LEVEL) + " " + heading
        if index in tagged:
            line = _escape_tags(line)
        out.append(line)
    return "\n".join(out)


def _escape_tags(line: str) -> str:
    """The line with every `<` that would open an HTML tag or comment escaped, outside code
    spans: Markdown viewers hide HTML (a `<span hidden>`, a comment, a whole block after
    `<response model="x">`), and the export must show the answer as the app does."""
    out, pos = [], 0
    for span in _CODE_SPAN.finditer(line):
        out += [_TAG_OPEN.sub(r"\\<", line[pos : span.start()]), span.group(0)]
        pos = span.end()
    out.append(_TAG_OPEN.sub(r"\\<", line[pos:]))
    return "".join(out)


def _block(text: str, section_level: int) -> str:
    return fit_into_section(_close_open_fence(text), section_level).rstrip("\n")


def _quote(text: str, section_level: int) -> str:
    lines = _block(text, section_level).splitlines()
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _totals_line(totals: Totals) -> str:
    parts = [
        f"{format_tokens(totals.prompt_tokens, totals.tokens_estimated)} prompt tokens",
        f"{format_tokens(totals.completion_tokens, totals.tokens_estimated)} completion tokens",
        format_total_cost(totals),
        f"{totals.calls} calls",
    ]
    if totals.unknown_cost:
        parts.append(f"{totals.unknown_cost} with unknown cost")
    return ", ".join(parts)


def _duration(ms: int | None) -> str:
    return f"{ms / 1000:.1f} s" if ms is not None else ""


def _reply_heading(reply: Reply, label: str) -> str:
    totals = reply_totals(reply)
    facts = [reply.status, f"{format_tokens(totals.tokens, totals.tokens_estimated)} tokens"]
    if reply.cost is not None:
        facts.append(format_cost(reply.cost, reply.cost_estimated))
    if reply.duration_ms is not None:
        facts.append(_duration(reply.duration_ms))
    name = escape_inline(reply.model)
    if reply.served_by and reply.served_by != reply.model:
        name += f" (served by {escape_inline(reply.served_by)})"
    return "#" * REPLY_LEVEL + f" {label}{name} · " + " · ".join(facts)


def _reply_section(reply: Reply, label: str = "") -> list[str]:
    out = [_reply_heading(reply, label), ""]
    if reply.truncated:
        out += [f"**Cut off:** {escape_inline(reply.error or 'the answer is incomplete')}", ""]
    elif reply.status != "ok" and reply.error:
        out += [f"**Error:** {escape_inline(reply.error)}", ""]
    if reply.content:
        out += [_block(reply.content, REPLY_LEVEL), ""]
    elif reply.status == "ok":
        out += ["*(empty answer)*", ""]
    return out


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return escape_inline(str(value))


def _ranking_table(ranking: list[dict[str, Any]]) -> list[str]:
    out = ["| Rank | Model | Score |", "| ---: | --- | ---: |"]
    for position, entry in enumerate(ranking, start=1):
        rank = entry.get("rank", position)
        out.append(f"| {_cell(rank)} | {_cell(entry.get('model', ''))} | "
                   f"{_cell(entry.get('score', ''))} |")  # fmt: skip
    return out + [""]


def _moa_layers(rnd: Round) -> list[tuple[str, list[Reply]]]:
    """The proposals of a Mixture-of-Agents round as (heading, replies), layer by layer; empty
    for any other round.

    The engine keeps the last layer reached in `Round.replies` (its number in `Round.layer`)
    and moves each finished earlier layer, in order and one reply per model, to `Round.reviews`
    with the role 'proposer'; so the earlier ones split into `layer - 1` equal groups. A file
    that does not add up (edited by hand) keeps them together rather than mislabelling them."""
    earlier = [r for r in rnd.reviews if r.role == "proposer"]
    if not earlier:
        return []
    count = (rnd.layer or 1) - 1
    if count >= 1 and len(earlier) % count == 0:
        size = len(earlier) // count
        groups = [(f"Layer {k + 1}", earlier[k * size : (k + 1) * size]) for k in range(count)]
    else:
        groups = [("Earlier layers", earlier)]
    last = f"Layer {rnd.layer}" if rnd.layer is not None else "Last layer"
    return [*groups, (last, list(rnd.replies))]


def _proposals(rnd: Round) -> list[str]:
    """The round's proposals: grouped under a heading per layer in a Mixture-of-Agents round."""
    layers = _moa_layers(rnd)
    if not layers:
        return [line for reply in rnd.replies for line in _reply_section(reply)]
    out: list[str] = []
    for heading, replies in layers:
        if replies:
            out += [f"**{heading}**", ""]
            for reply in replies:
                out += _reply_section(reply)
    return out


def _round_section(rnd: Round) -> list[str]:
    title = f"### Round {rnd.index + 1}"
    if rnd.layer is not None:
        title += f" (layer {rnd.layer})"
    out = [title, "", *_proposals(rnd)]
    for review in rnd.reviews:
        if review.role != "proposer":  # earlier layers' proposals are shown by `_proposals`
            out += _reply_section(review, f"{review.role.capitalize()}: ")
    if rnd.judgements:
        out += ["**Judgements**", "", "| First | Second | Verdict |", "| --- | --- | --- |"]
        for j in rnd.judgements:
            out.append(f"| {_cell(j.first)} | {_cell(j.second)} | {_cell(j.verdict)} |")
        out.append("")
    if rnd.unranked:
        out += ["**Ranking**", "", escape_inline(round_ranking_text(rnd)), ""]
    elif rnd.ranking:
        out += ["**Ranking**", ""]
        if rnd.ranking_asked and rnd.ranking_read != rnd.ranking_asked:
            unit = "verdicts" if rnd.judgements else "reviews"
            out += [f"From {rnd.ranking_read} of {rnd.ranking_asked} {unit} read.", ""]
        out += _ranking_table(rnd.ranking)
    if rnd.agreement is not None:
        out += [f"Agreement with the previous round: {rnd.agreement:.0%}", ""]
    for attempt in rnd.aggregate_attempts:
        out += _reply_section(attempt, "Aggregate (failed attempt): ")
    if rnd.aggregate is not None:
        out += _reply_section(rnd.aggregate, "Aggregate: ")
    return out


def _turn_section(number: int, turn: Turn) -> list[str]:
    out = [f"## Turn {number}", ""]
    if turn.status != "complete":
        out += [f"*Status: {escape_inline(turn.status)}*", ""]
    out += ["### Question", "", _block(turn.prompt, TURN_PART_LEVEL), ""]
    for rnd in turn.rounds:
        out += _round_section(rnd)
    if turn.final:
        out += ["### Final answer", ""]
        final = final_reply(turn)
        if final is not None and final.truncated:
            reason = escape_inline(final.error or "the answer is incomplete")
            out += [f"**Cut off:** this answer is incomplete ({reason}).", ""]
        out += [_quote(turn.final, TURN_PART_LEVEL), ""]
    return out


def _config_models(config: Mapping[str, Any]) -> list[str]:
    models = config.get("models")
    if not isinstance(models, list):
        return []
    names = []
    for m in models:
        if isinstance(m, Mapping):
            name = m.get("label") or m.get("id")
            if isinstance(name, str):
                names.append(name)
    return names


def session_to_markdown(session: Session) -> str:
    """A readable document of the whole conversation."""
    title = escape_inline(session.title) or "Untitled session"
    out = [f"# {title}", ""]
    meta = [
        ("Session", session.id),
        ("Created", session.created_at),
        ("Updated", session.updated_at),
        ("Status", session.status),
        ("Strategy", str(session.config.get("strategy", ""))),
        ("Models", ", ".join(_config_models(session.config))),
    ]
    aggregator = session.config.get("aggregator")
    if isinstance(aggregator, Mapping) and isinstance(aggregator.get("model"), str):
        meta.append(("Aggregator", aggregator["model"]))
    for name, value in meta:
        if value:
            out.append(f"- **{name}:** {escape_inline(value)}")
    out += [f"- **Total:** {_totals_line(session_totals(session))}", ""]
    for number, turn in enumerate(session.turns, start=1):
        out += _turn_section(number, turn)
    return scrub_surrogates(display("\n".join(out).rstrip("\n") + "\n"))


def session_to_json(session: Session) -> str:
    """The session file's data as JSON (same layout as the TOML)."""
    text = json.dumps(session_to_dict(session), indent=2, ensure_ascii=False, allow_nan=True)
    return escape_json_text(scrub_surrogates(text)) + "\n"
