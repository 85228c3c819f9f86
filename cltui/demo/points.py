"""What the simulated models say: banks of points per kind of question, domain hints and code.

Every template is written so that any topic phrase of its kind fits it grammatically: how-to
templates take a task ("choose a database") or its gerund, definition templates a noun phrase
only after a preposition or as an object (so "monads" and "a monad" both work), and so on. A
point is a short head (what a bullet or a heading shows) and a one-sentence body; the body is
quoted word for word by every model that makes the point, which is how the aggregator finds
agreement.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from cltui.demo.question import (
    Question,
    base_form,
    capitalize,
    stable_seed,
    tokens_of,
)


@dataclass(frozen=True, slots=True)
class Point:
    head: str
    """A short label; empty for a statement taken from text the models did not write."""
    body: str
    rank: int
    """Position in a logical order (steps come in this order whatever the models pick)."""
    source: str = "kind"
    """'kind' (about this kind of question), 'domain' (about the subject), 'code' or 'text'."""


Template = tuple[str, str]

KIND_POINTS: dict[str, tuple[Template, ...]] = {
    "howto": (
        ("Decide what a good result looks like",
         "Before you {task}, write down the two or three outcomes that matter most{context}; "
         "they make every later choice easier."),
        ("Start from your constraints",
         "Be honest about the time, money and experience you have, because they decide which "
         "approaches are realistic."),
        ("Shortlist two or three options",
         "Narrowing the field early keeps {doing} from turning into an endless survey."),
        ("Try the smallest version first",
         "A small, real trial teaches you more than a week of reading, and it is cheap to throw "
         "away."),
        ("Measure instead of guessing",
         "Pick one or two signals that show whether it is working and check them after every "
         "change."),
        ("Learn from someone who has done it",
         "A short conversation with someone who had to {task} recently can save days of trial "
         "and error."),
        ("Change one thing at a time",
         "When several things change at once, you cannot tell which one helped."),
        ("Prefer the boring option",
         "The plain, well-trodden path has fewer surprises; add complexity only when a real need "
         "shows up."),
        ("Keep short notes",
         "A few lines on what you tried and what happened make it easy to pick up where you "
         "left off."),
        ("Plan a review",
         "Come back to it after a few weeks, because what looked settled often needs a small "
         "adjustment."),
    ),
    "code": (
        ("Pin down the input and output",
         "Before you {task}, write down what goes in, what should come out and what counts as "
         "an error."),
        ("Start with the simplest version that works",
         "Get a straightforward version running on one small example before handling every "
         "case."),
        ("Handle the edge cases",
         "Empty input, unexpected types and very large inputs are where most bugs hide."),
        ("Write a small test",
         "A couple of tests pin down the behaviour and make later changes safe."),
        ("Check the error paths",
         "Decide what should happen with bad input: raise a clear error, skip it, or log it and "
         "carry on."),
        ("Prefer clear names over clever code",
         "Readable code is easier to debug, review and change than a clever one-liner."),
        ("Read the documentation of what you call",
         "Most surprises come from an assumption about a library function that its "
         "documentation would have corrected."),
        ("Make it correct before making it fast",
         "Speed it up only where a profiler shows that it matters."),
    ),
    "define": (
        ("The core idea",
         "The idea behind {topic} is simpler than the jargon suggests: see which problem {it} "
         "{was} meant to solve, and the rest follows."),
        ("Why it matters",
         "You meet {them} wherever that problem comes up, which is why the term is so common."),
        ("How it works in practice",
         "In practice, working with {them} comes down to a few concrete rules applied "
         "consistently."),
        ("A simple example",
         "One small, concrete example makes the idea click faster than any formal definition."),
        ("A common misconception",
         "A frequent mistake is to treat {topic} as more complicated, or more universal, than "
         "{it} really {is}."),
        ("Where it comes from",
         "Knowing where the idea came from explains many of the odd names and conventions "
         "around {them}."),
        ("Related ideas",
         "Comparing {them} with the closest neighbouring ideas is often more instructive than "
         "the definition itself."),
        ("Its limits",
         "Knowing where the idea stops being useful is part of understanding {them}."),
        ("Where to go next",
         "The best next step is to see {topic} at work in a small, low-stakes case of your own."),
    ),
    "explain": (
        ("The short version",
         "The short answer to {topic} is that a few factors do most of the work, and the rest "
         "are details."),
        ("The main mechanism",
         "Most of it follows from one central mechanism; once that is clear, the details are "
         "easier to place."),
        ("What it depends on",
         "The exact answer shifts with the context: scale, timing and starting conditions all "
         "play a part."),
        ("A worked example",
         "Walking through one concrete case step by step is the quickest way to see {topic} "
         "in action."),
        ("A common misunderstanding",
         "Simplified accounts often leave out the conditions under which they stop being true."),
        ("Where the details matter",
         "The edge cases are where simple explanations break down, so check them if precision "
         "matters."),
        ("How to check it yourself",
         "A good reference, a quick experiment or a rough calculation will confirm the broad "
         "picture."),
        ("The bigger picture",
         "The question connects to several neighbouring ones, and each sheds light on the "
         "others."),
    ),
    "why": (
        ("The direct cause",
         "The most direct explanation of {topic} is one specific mechanism; everything else "
         "changes how strongly it shows."),
        ("Contributing factors",
         "Several factors usually combine, so single-cause explanations tend to be "
         "incomplete."),
        ("History and habit",
         "Part of the answer is historical: what was decided early tends to persist long after "
         "the original reasons fade."),
        ("Incentives and constraints",
         "Where people are involved, incentives and constraints explain a lot; where they are "
         "not, physical limits do."),
        ("A useful test",
         "A good way to check any explanation is to ask what would look different if it were "
         "false."),
        ("Popular myths",
         "Popular accounts are often half right: they name a real factor but overstate it."),
        ("Scale and context",
         "The answer can change with scale and context, so what holds in one case may not hold "
         "in another."),
        ("Where to read more",
         "A good textbook or review article gives the full mechanism together with the evidence "
         "behind it."),
    ),
    "yesno": (
        ("It depends on your goal",
         "Whether the answer is yes comes down to what you want to achieve, so settle that "
         "first."),
        ("Usually yes when the benefit is concrete",
         "If you can name a specific gain and it clearly outweighs the cost, the answer is "
         "usually yes."),
        ("Usually no when the gain is vague",
         "If the main reason is novelty or a fear of missing out, it is usually better to wait."),
        ("Check the downside",
         "Ask what happens if it goes wrong and how easy it is to undo; reversible choices "
         "deserve less deliberation."),
        ("Look at people in your situation",
         "The experience of people with similar constraints is better evidence than general "
         "advice."),
        ("Try it on a small scale",
         "When a trial is cheap, a small experiment settles the question faster than more "
         "research."),
        ("Count the hidden costs",
         "Time, upkeep and attention are easy to underestimate, and they often decide the "
         "matter."),
        ("Revisit the answer later",
         "A no today can become a yes as your situation changes, so note what would change your "
         "mind."),
    ),
    "compare": (
        ("Fit for your use case",
         "Neither {a} nor {b} is better in general; the right pick depends on what you will "
         "actually do with it."),
        ("Learning curve",
         "{x} is usually quicker to pick up, while {y} asks for more effort up front."),
        ("Flexibility",
         "{y} gives you more room to do things your own way, while {x} makes more decisions for "
         "you, which helps consistency."),
        ("Ecosystem",
         "{x} has the larger community, so answers, tools and examples are easier to find."),
        ("Performance",
         "{y} tends to pull ahead under heavy or unusual load, but for everyday work {x} is "
         "fast enough."),
        ("Cost of switching",
         "Switching between {a} and {b} later is possible but rarely painless, so weigh the "
         "long term as well."),
        ("Maturity",
         "{x} is the more established choice; {y} moves faster and changes more between "
         "versions."),
        ("Try both briefly",
         "An afternoon with each on a small, real task tells you more than any comparison "
         "chart."),
    ),
    "general": (
        ("Clarify the goal",
         "Pin down what you want from {topic}; a clear goal makes the options much easier to "
         "judge."),
        ("Start simple",
         "Begin with the simplest approach that could work and add to it only when you hit a "
         "real limit."),
        ("Use a few good sources",
         "Two or three trustworthy sources are worth more than a dozen mediocre ones."),
        ("Make the trade-offs explicit",
         "Every option costs something, whether time, money or flexibility, so write those "
         "costs down."),
        ("Test with a small step",
         "A small experiment gives faster and more honest feedback than planning alone."),
        ("Ask for a second opinion",
         "Someone outside the problem often spots the assumption you have stopped noticing."),
        ("Keep notes",
         "Writing down what you tried and what happened turns guesswork into learning."),
        ("Review and adjust",
         "Check back after a while and adjust, because first answers are rarely final."),
    ),
    "greeting": (
        ("Ask a concrete question",
         "Ask me anything, from a how-to to a comparison, and I will answer it step by step."),
        ("Add a little context",
         "A line about your situation, such as your experience or your constraints, helps me "
         "tailor the answer."),
        ("Say what form you want",
         "Tell me if you prefer a short answer, a checklist, a table or an example in code."),
    ),
}  # fmt: skip

PITFALLS: dict[str, tuple[str, str]] = {
    "howto": ("Copying someone else's approach without checking that their constraints match "
              "yours.", "Committing to the first option before trying it on something small."),
    "define": ("Memorising the definition without working through an example.",
               "Assuming the term means exactly the same thing in every field."),
    "explain": ("Stopping at the one-line answer.",
                "Forgetting the conditions under which the explanation holds."),
    "why": ("Settling for the first plausible cause.",
            "Mistaking something that merely comes along with the effect for its cause."),
    "yesno": ("Deciding on the strength of what worked for someone in a different situation.",
              "Ignoring how hard the choice would be to undo."),
    "general": ("Trying to settle everything at once.",
                "Not writing down what you tried, so the same ground gets covered twice."),
}  # fmt: skip
"""Two classic mistakes per kind of question, for the structured voice."""

PHASES = ("Before you start", "Early on", "As you go", "Afterwards")
"""When each step of a how-to happens, for the structured voice's overview table."""

COMPARE_CELLS: dict[str, tuple[str, str]] = {
    "Learning curve": ("gentler", "steeper"),
    "Flexibility": ("more opinionated", "more flexible"),
    "Ecosystem": ("larger", "smaller, more focused"),
    "Performance": ("fast enough for most uses", "stronger under heavy load"),
    "Maturity": ("well established", "newer, changing faster"),
}
"""Table cells for the comparison criteria, as (x, y) in the order of the template's slots."""

DOMAINS: tuple[tuple[frozenset[str], tuple[Template, ...]], ...] = (
    (frozenset("database databases db postgres postgresql mysql sqlite mongodb nosql redis "
               "sql".split()), (
        ("Match the data model to your data",
         "Relational databases suit data with clear relationships and a need for transactions, "
         "while document and key-value stores suit loosely structured records."),
        ("Count the operational cost",
         "Backups, upgrades and monitoring take time every week, and a managed service often "
         "costs less than the hours it saves."),
        ("Default to what you know",
         "A familiar, proven choice such as PostgreSQL or SQLite is hard to regret for most "
         "small projects."),
    )),
    (frozenset("learn learning study studying beginner beginners practice practise course "
               "tutorial teach".split()), (
        ("Build something real early",
         "A small project makes you meet the parts that tutorials skip, and it keeps motivation "
         "up."),
        ("Practise a little every day",
         "Short, regular sessions beat occasional marathons, because memory rewards spacing."),
        ("Study good examples",
         "Seeing how experienced people solve problems teaches habits that documentation rarely "
         "spells out."),
    )),
    (frozenset(("rust", "cargo")), (
        ("Work through the official book",
         "The Rust Programming Language is free, thorough and written with newcomers in mind."),
        ("Expect to wrestle with the borrow checker",
         "The first weeks are mostly about ownership and lifetimes, and that effort pays off in "
         "fewer bugs later."),
    )),
    (frozenset(("python", "pandas", "django", "flask")), (
        ("Lean on the standard library",
         "Python's standard library covers files, dates, CSV, JSON and HTTP basics, so check it "
         "before adding a dependency."),
        ("Use a virtual environment",
         "Isolating dependencies per project avoids version clashes that are painful to untangle "
         "later."),
    )),
    (frozenset("javascript js typescript react node nodejs frontend".split()), (
        ("Learn the platform before the framework",
         "A solid grasp of plain JavaScript and the browser makes every framework easier."),
        ("Add types early",
         "TypeScript catches whole classes of mistakes before they reach users."),
    )),
    (frozenset("fast faster slow slower speed performance optimize optimise latency "
               "bottleneck".split()), (
        ("Profile before you optimise",
         "Measure where the time actually goes, because the slow part is rarely where you "
         "expect."),
        ("Fix the biggest cost first",
         "One change to the hottest path usually beats ten small tweaks elsewhere."),
    )),
    (frozenset("secure security password passwords hack hacked attack encryption privacy "
               "vulnerability".split()), (
        ("Use proven tools",
         "Well-reviewed libraries and services are safer than anything home-grown."),
        ("Keep secrets out of code",
         "Store keys and passwords in a secret manager or the environment, never in the "
         "repository."),
    )),
    (frozenset("sleep sleeping tired insomnia nap naps shift rest fatigue".split()), (
        ("Keep a regular sleep schedule",
         "Going to bed and getting up at consistent times does more for sleep quality than any "
         "gadget."),
        ("Control light and caffeine",
         "Bright light and caffeine in the hours before bed push sleep later, while darkness and "
         "a cool room help."),
        ("Protect the sleep window",
         "Blackout curtains, a quiet room and a fixed wind-down routine make daytime sleep "
         "after a night shift far more restful."),
    )),
    (frozenset("exercise fitness workout gym running weight diet muscle health".split()), (
        ("Aim for consistency over intensity",
         "Three moderate sessions a week that you keep up beat an ambitious plan you drop."),
        ("Progress gradually",
         "Increase load or distance in small steps to avoid injury."),
    )),
    (frozenset("money budget save saving savings invest investing debt price pricing salary "
               "cost costs rent mortgage".split()), (
        ("Know where the money goes",
         "Track spending for a month before making big decisions, because the numbers usually "
         "surprise."),
        ("Keep a buffer",
         "An emergency fund of a few months' expenses makes every other choice less stressful."),
    )),
    (frozenset("team teams manager managers management hire hiring meeting meetings colleague "
               "colleagues remote".split()), (
        ("Make ownership explicit",
         "Each decision and task should have one named owner, even in a small team."),
        ("Keep communication lightweight",
         "Short written updates scale better than more meetings."),
    )),
    (frozenset("essay blog article letter email story novel report writing".split()), (
        ("Know your reader",
         "Decide who will read it and what they should take away, then cut whatever does not "
         "serve that."),
        ("Draft first, edit later",
         "A rough but complete draft is easier to improve than a perfect first paragraph."),
    )),
    (frozenset("job career interview interviews resume cv promotion".split()), (
        ("Show evidence, not adjectives",
         "Concrete results and numbers persuade more than descriptions of yourself."),
        ("Prepare a few stories",
         "Three or four short stories about problems you solved cover most interview "
         "questions."),
    )),
    (frozenset("cook cooking recipe bake baking food pasta bread tea coffee dinner meal "
               "bakery".split()), (
        ("Start from good basic ingredients",
         "Fresh, simple ingredients matter more than technique for most dishes."),
        ("Taste as you go",
         "Adjust seasoning in small steps, since it is easy to add and hard to take away."),
    )),
    (frozenset("customers customer marketing sales sell business startup shop".split()), (
        ("Talk to your best customers",
         "Ask the people who already love what you do why they come, and build on that."),
        ("Make it easy to come back",
         "A simple loyalty offer or a regular newsletter is cheaper than finding new customers."),
    )),
    (frozenset("test tests testing refactor review bug bugs debug error errors crash crashes "
               "exception traceback".split()), (
        ("Reproduce it reliably first",
         "A problem you can trigger on demand is half solved, so write down the steps or a "
         "failing test."),
        ("Read the whole error message",
         "The first and last lines of a traceback usually name the cause and the place."),
    )),
)  # fmt: skip

CODE_POINTS: tuple[Template, ...] = (
    ("Handle the edge cases",
     "Empty input, unexpected types and very large inputs are where most bugs hide."),
    ("Write a small test",
     "A couple of tests pin down the behaviour and make later changes safe."),
    ("Prefer clear names over clever code",
     "Readable code is easier to debug, review and change than a clever one-liner."),
)  # fmt: skip

CORE_POINTS = 3
"""The first points of a bank, made by every model: the seed of agreement."""


def slots(question: Question) -> dict[str, str]:
    """The values the templates are filled with, in lower- and sentence-case forms."""
    a, b = question.options
    x, y = (a, b)
    if a and b and _flip(question):
        x, y = b, a
    values = {
        "topic": question.topic,
        "task": question.task or "get this right",
        "doing": question.doing or question.topic,
        "context": question.context,
        "a": a,
        "b": b,
        "x": x,
        "y": y,
        "it": "they" if question.plural else "it",
        "is": "are" if question.plural else "is",
        "was": "were" if question.plural else "was",
        "its": "their" if question.plural else "its",
        "them": "them" if question.plural else "it",
    }
    values.update({capitalize(k): capitalize(v) for k, v in list(values.items())})
    return values


def _flip(question: Question) -> bool:
    """Which option of a comparison the templates call the simpler one: fixed per question."""
    return stable_seed("flip", question.options[0].lower(), question.options[1].lower()) % 2 == 1


def fill(template: str, values: dict[str, str]) -> str:
    return template.format_map(values)


def bank(question: Question) -> list[Point]:
    """The points a question's answers draw from: core points first, then the rest in an order
    fixed by the question (so models that pick 'the first few extras' still differ by seed)."""
    values = slots(question)
    coding = question.kind == "howto" and question.language is not None
    templates = list(KIND_POINTS["code" if coding else question.kind])
    domain = domain_points(question)
    code = [p for p in CODE_POINTS if p not in templates] if question.language else []
    core = templates[:2] + domain[:1]
    rest = templates[2:] + domain[1:] + code
    ranks = {t: i for i, t in enumerate(templates[:2] + domain + code + templates[2:])}
    if question.kind in ("howto", "general"):
        ranks = {t: i for i, t in enumerate(templates[:2] + domain + templates[2:] + code)}
    random.Random(stable_seed("bank", question.kind, question.topic)).shuffle(rest)
    sources = {t: "domain" for t in domain} | {t: "code" for t in code}
    return [
        Point(fill(h, values), fill(b, values), ranks[(h, b)], sources.get((h, b), "kind"))
        for h, b in core + rest
    ]


def domain_points(question: Question) -> list[Template]:
    """Points about the subject matter itself, picked by keywords of the question."""
    main = question.task or question.topic
    if question.kind == "compare":
        main = " ".join(question.options)
    words = {w.lower() for w in tokens_of(main)}
    context = {w.lower() for w in tokens_of(question.text)} | set(question.words)
    found: list[Template] = []
    for candidates in (words, context):
        for keywords, points in DOMAINS:
            if question.language and "essay" in keywords:
                continue  # an email regex is code, not a piece of writing
            if keywords & candidates:
                found.extend(p for p in points if p not in found)
        if found:
            break
    return found[:5]


def compare_rows(question: Question) -> list[tuple[str, str, str]]:
    """(criterion, cell for a, cell for b) rows of a comparison table."""
    values = slots(question)
    a = question.options[0]
    rows = []
    for criterion, (x_cell, y_cell) in COMPARE_CELLS.items():
        a_is_x = values["x"] == a
        rows.append((criterion, x_cell if a_is_x else y_cell, y_cell if a_is_x else x_cell))
    best_x, best_y = "getting started quickly", "demanding, long-lived projects"
    a_is_x = values["x"] == a
    rows.append(("Best for", best_x if a_is_x else best_y, best_y if a_is_x else best_x))
    return rows


# --------------------------------------------------------------------------------------------
# Code examples

GENERIC_WORDS = frozenset(
    """write create make implement build code program script function regex regexp snippet
    python rust javascript typescript sql bash shell go golang a an the this that which in with
    for to of my your using use how do i me simple small quick good best way some""".split()
)


def code_name(question: Question) -> str:
    """A snake_case name for the example's function, from the question's words."""
    text = question.task or question.topic or question.text
    tokens = [t.lower() for t in tokens_of(text)]
    clause = next((i for i, t in enumerate(tokens) if t in ("that", "which", "to")), None)
    if clause is not None and clause + 1 < len(tokens):
        verb = base_form(tokens[clause + 1])
        rest = [t for t in tokens[clause + 2 :] if t not in GENERIC_WORDS][:2]
        words = [verb, *rest]
    else:
        words = [t for t in tokens if t not in GENERIC_WORDS][:3]
    name = "_".join(re.sub(r"\W", "", w) for w in words if re.sub(r"\W", "", w))
    return name if name and name[0].isalpha() else "solve"


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def code_example(question: Question) -> tuple[str, str]:
    """(language, code) for a small example that plausibly answers a code question."""
    language = question.language or "python"
    text = question.text.lower()
    name = code_name(question)
    if language == "sql":
        return language, _sql(text)
    if language == "bash":
        return language, (
            '#!/usr/bin/env bash\nset -euo pipefail\n\nfor file in "$@"; do\n'
            '  [[ -f "$file" ]] || { echo "skipping $file" >&2; continue; }\n'
            '  wc -l "$file"\ndone'
        )
    if language == "go":
        return language, (
            f"func {camel(name)}(items []string) ([]string, error) {{\n"
            '\tif len(items) == 0 {\n\t\treturn nil, errors.New("no input")\n\t}\n'
            "\tout := make([]string, 0, len(items))\n\tfor _, item := range items {\n"
            "\t\tout = append(out, strings.TrimSpace(item))\n\t}\n\treturn out, nil\n}"
        )
    if language == "rust":
        return language, _rust(text, name)
    if language in ("javascript", "typescript"):
        return language, _javascript(text, name, typed=language == "typescript")
    return "python", _python(text, name)


def _python(text: str, name: str) -> str:
    if "csv" in text:
        return (
            "import csv\nfrom pathlib import Path\n\n\n"
            f"def {name}(path: Path) -> list[dict[str, str]]:\n"
            '    """Read a CSV file into one dict per row, keyed by the header."""\n'
            '    with path.open(newline="", encoding="utf-8") as handle:\n'
            "        return list(csv.DictReader(handle))"
        )
    if "json" in text:
        return (
            "import json\nfrom pathlib import Path\n\n\n"
            f"def {name}(path: Path) -> dict:\n"
            '    with path.open(encoding="utf-8") as handle:\n'
            "        data = json.load(handle)\n"
            "    if not isinstance(data, dict):\n"
            '        raise ValueError(f"{path}: expected a JSON object")\n'
            "    return data"
        )
    if "email" in text or "regex" in text or "regexp" in text or "match" in text:
        return (
            "import re\n\n"
            'EMAIL = re.compile(r"^[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+$")\n\n\n'
            "def is_valid_email(text: str) -> bool:\n"
            "    return EMAIL.fullmatch(text.strip()) is not None\n\n\n"
            'assert is_valid_email("ada@example.org")\n'
            'assert not is_valid_email("not an address")'
        )
    if any(w in text for w in ("fast", "slow", "speed", "performance", "optimi")):
        return (
            "import cProfile\nimport pstats\n\n"
            'cProfile.run("main()", "profile.out")\n'
            'stats = pstats.Stats("profile.out")\n'
            'stats.sort_stats("cumulative").print_stats(10)  # the ten costliest calls'
        )
    if any(w in text for w in ("error", "bug", "crash", "exception", "traceback", "debug")):
        return (
            "import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
            "def load(record: dict | None) -> str:\n"
            "    if record is None:\n"
            '        raise ValueError("no record: check what the caller passed in")\n'
            "    try:\n"
            '        return record["name"]\n'
            "    except KeyError:\n"
            '        log.exception("record without a name: %r", record)\n'
            "        raise"
        )
    if "venv" in text or "virtual environment" in text:
        return (
            "python -m venv .venv\n"
            "source .venv/bin/activate   # Windows: .venv\\Scripts\\activate\n"
            "python -m pip install -r requirements.txt"
        )
    return (
        f"def {name}(items: list[str]) -> list[str]:\n"
        '    """Clean the input first, then do the work, so each step can be tested."""\n'
        "    if not items:\n        return []\n"
        "    cleaned = [item.strip() for item in items if item and item.strip()]\n"
        "    return sorted(set(cleaned))\n\n\n"
        f'assert {name}([" b", "a", "a", ""]) == ["a", "b"]'
    )


def _rust(text: str, name: str) -> str:
    if "csv" in text or "file" in text:
        return (
            "use std::fs;\n\n"
            f"fn {name}(path: &str) -> Result<Vec<Vec<String>>, std::io::Error> {{\n"
            "    let text = fs::read_to_string(path)?;\n"
            "    Ok(text\n        .lines()\n"
            "        .map(|line| line.split(',').map(|f| f.trim().to_string()).collect())\n"
            "        .collect())\n}"
        )
    return (
        f"fn {name}(input: &[&str]) -> Vec<String> {{\n"
        "    let mut out: Vec<String> = input\n        .iter()\n"
        "        .map(|s| s.trim().to_string())\n        .filter(|s| !s.is_empty())\n"
        "        .collect();\n    out.sort();\n    out.dedup();\n    out\n}\n\n"
        "#[test]\nfn keeps_unique_items() {\n"
        f'    assert_eq!({name}(&[" b", "a", "a"]), ["a", "b"]);\n}}'
    )


def _javascript(text: str, name: str, *, typed: bool) -> str:
    if any(w in text for w in ("fetch", "api", "http", "request")):
        signature = (
            "async function getJson(url: string): Promise<unknown>"
            if typed
            else ("async function getJson(url)")
        )
        return (
            f"{signature} {{\n  const response = await fetch(url);\n"
            "  if (!response.ok) {\n"
            "    throw new Error(`${url}: HTTP ${response.status}`);\n  }\n"
            "  return response.json();\n}"
        )
    signature = (
        f"function {camel(name)}(items: string[]): string[]"
        if typed
        else (f"function {camel(name)}(items)")
    )
    return (
        f"{signature} {{\n"
        "  return [...new Set(items.map((s) => s.trim()).filter(Boolean))].sort();\n}\n\n"
        f'console.assert({camel(name)}([" b", "a", "a"]).join() === "a,b");'
    )


def _sql(text: str) -> str:
    if "duplicate" in text:
        return (
            "SELECT email, COUNT(*) AS copies\nFROM customers\nGROUP BY email\n"
            "HAVING COUNT(*) > 1\nORDER BY copies DESC;"
        )
    if "join" in text:
        return (
            "SELECT c.name, SUM(o.total) AS spent\nFROM customers AS c\n"
            "JOIN orders AS o ON o.customer_id = c.id\nGROUP BY c.name\nORDER BY spent DESC;"
        )
    return (
        "SELECT id, name, created_at\nFROM orders\nWHERE created_at >= DATE '2024-01-01'\n"
        "ORDER BY created_at DESC\nLIMIT 20;"
    )
