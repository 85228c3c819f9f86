"""What a question asks, read without a language model: its kind and a grammatical topic phrase.

The simulated models slot the topic into sentence templates, so the phrase must read well in a
noun position: "choosing a database for a small team", "why the sky is blue", "whether you should
learn Rust". It is built from the question's own words in their own order, with a little grammar
(pronouns turned to the reader's point of view, verbs put in the -ing or third-person form).
When a question does not fit a known shape, the phrase falls back to generic wording rather than
to a string of loose keywords.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["greeting", "howto", "explain", "define", "why", "yesno", "compare", "general"]

SUBJECT_PRONOUNS = frozenset("i we you one they people someone anyone he she it".split())
DETERMINERS = frozenset(
    "a an the my our your their his her its this that these those some any every each no".split()
)
AUXILIARIES = frozenset(
    """do does did is are was were am can could should would will shall may might must has have
    had don't doesn't didn't isn't aren't wasn't weren't can't couldn't shouldn't wouldn't won't
    haven't hasn't""".split()
)
BE_FORMS = frozenset("is are was were am isn't aren't wasn't weren't".split())
DO_FORMS = frozenset(("do", "does", "did"))
PREPOSITIONS = frozenset(
    """for in on at with without from into onto about by of to over under after before during
    between through when while if so because since than as""".split()
)
SWAP = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "we": "you",
    "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves", "am": "are",
    "i'm": "you're", "im": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll",
    "we're": "you're", "we've": "you've", "was": "was",
}  # fmt: skip
VERBS = frozenset(
    """accept achieve add adopt afford allocate analyse analyze answer apply approach argue ask
    automate avoid back bake balance be become begin boil break brew bring build buy calculate
    call care cause change charge check choose clean close code collect combine come communicate
    compare compile compute configure connect consider contribute control convert convince cook
    cope copy count crash create cut deal debug decide deduplicate define delete deliver deploy
    describe design detect develop die do document download drink drive earn eat edit eliminate
    encrypt end enjoy estimate evaluate exercise explain export extract fail fall feel fetch fight
    figure fill find finish fit fix focus follow forget format get give go grow handle happen hate
    have hear help hire hold host implement import improve include increase install integrate
    invest join keep kill know land launch lead learn leave let lift like limit listen live load
    look lose love maintain make manage market master measure meet memorize merge migrate mind
    monitor motivate move need negotiate onboard open optimise optimize organise organize own pack
    paint parse pass pay perform pick plan play practice practise prepare present prevent price
    print prioritise prioritize process produce promote protect prove publish purr put quit raise
    reach read reduce refactor relax release remember remove render repair replace report
    represent request reset resolve respond rest restore retire return reuse reverse review rise
    run save scale scrape search secure see sell send serve set settle share ship shut sing sit
    sleep slow solve sort speak spend split stand start stay stop store structure study succeed
    support survive switch take talk teach tell test think track train transfer translate travel
    treat trust try turn understand unit update upgrade use validate verify visit wait wake walk
    want warm wash watch win work worry write""".split()
)
IRREGULAR_ING = {"be": "being", "see": "seeing", "lie": "lying", "die": "dying", "tie": "tying",
                 "quit": "quitting", "begin": "beginning", "refer": "referring"}  # fmt: skip
IRREGULAR_PAST = {
    "be": "was", "become": "became", "begin": "began", "break": "broke", "bring": "brought",
    "build": "built", "buy": "bought", "choose": "chose", "come": "came", "cut": "cut",
    "do": "did", "drink": "drank", "drive": "drove", "eat": "ate", "fall": "fell", "feel": "felt",
    "fight": "fought", "find": "found", "get": "got", "give": "gave", "go": "went", "grow": "grew",
    "have": "had", "hear": "heard", "hold": "held", "keep": "kept", "know": "knew", "lead": "led",
    "leave": "left", "lose": "lost", "make": "made", "meet": "met", "pay": "paid", "put": "put",
    "read": "read", "rise": "rose", "run": "ran", "say": "said", "see": "saw", "sell": "sold",
    "send": "sent", "set": "set", "sit": "sat", "sleep": "slept", "speak": "spoke",
    "spend": "spent", "stand": "stood", "take": "took", "teach": "taught", "tell": "told",
    "think": "thought", "understand": "understood", "win": "won", "write": "wrote",
}  # fmt: skip
PREDICATE_STARTS = frozenset(
    """so too very really more less still always never not worth good bad better worse best worst
    safe unsafe possible impossible necessary important okay ok fine normal true false hard easy
    difficult healthy unhealthy expensive cheap fast slow faster slower popular common rare useful
    useless dangerous harmful bad legal illegal different similar same better enough ready able
    likely unlikely considered called used needed required allowed free real right wrong dead
    alive blue red green big small large high low hot cold new old open closed available""".split()
)
TRAILING_ASIDES = re.compile(
    r"\s*(?:,\s*)?\b(?:in simple terms|in plain english|simply|exactly|briefly|please|like i'?m "
    r"(?:five|5)|for (?:a )?beginners?|for dummies|right now|these days|nowadays)\s*$",
    re.IGNORECASE,
)
CODE_HINTS = {
    "python": "python", "py": "python", "pandas": "python", "django": "python",
    "flask": "python", "function": "python", "script": "python", "code": "python",
    "implement": "python", "algorithm": "python", "bug": "python", "debug": "python",
    "regex": "python", "regexp": "python", "recursion": "python", "traceback": "python",
    "exception": "python", "rust": "rust", "cargo": "rust", "javascript": "javascript",
    "js": "javascript", "node.js": "javascript", "nodejs": "javascript", "react": "javascript",
    "typescript": "typescript", "ts": "typescript", "sql": "sql", "postgres": "sql",
    "postgresql": "sql", "mysql": "sql", "sqlite": "sql", "bash": "bash", "shell": "bash",
    "zsh": "bash", "golang": "go",
}  # fmt: skip
GENERIC_CODE_WORDS = frozenset(
    """function script code implement algorithm bug debug regex regexp recursion traceback
    exception snippet""".split()
)
NON_CODE_CONTEXT = re.compile(r"\b(?:choose|choosing|pick|learn|learning|vs|versus|or)\b", re.I)
GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|yo|howdy|greetings|good (?:morning|afternoon|evening)|thanks|"
    r"thank you|how are you(?: doing)?|what's up|sup)\b[\s\w]{0,12}[!.?]*$",
    re.IGNORECASE,
)
ENGLISH_HINTS = frozenset(
    "the a an is are what how why which who when where do does can should i you to of and".split()
)


def stable_seed(*parts: object) -> int:
    """A seed derived from the given values only (never from the process or the clock)."""
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(blob.encode("utf-8")).digest()[:8], "big")


# --------------------------------------------------------------------------------------------
# Word forms


def gerund(verb: str) -> str:
    """'choose' -> 'choosing', 'get' -> 'getting', 'learn' -> 'learning'."""
    lowered = verb.lower()
    if lowered in IRREGULAR_ING:
        return IRREGULAR_ING[lowered]
    if lowered.endswith("ie"):
        return lowered[:-2] + "ying"
    if lowered.endswith("e") and not lowered.endswith(("ee", "ye", "oe")) and len(lowered) > 2:
        return lowered[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", lowered):
        return lowered + lowered[-1] + "ing"
    return lowered + "ing"


def third_person(verb: str) -> str:
    """'work' -> 'works', 'fix' -> 'fixes', 'carry' -> 'carries', 'have' -> 'has'."""
    lowered = verb.lower()
    special = {"be": "is", "have": "has", "do": "does", "go": "goes"}
    if lowered in special:
        return special[lowered]
    if lowered.endswith(("s", "sh", "ch", "x", "z", "o")):
        return lowered + "es"
    if re.search(r"[^aeiou]y$", lowered):
        return lowered[:-1] + "ies"
    return lowered + "s"


def past_tense(verb: str) -> str:
    """'end' -> 'ended', 'fall' -> 'fell', 'stop' -> 'stopped'."""
    lowered = verb.lower()
    if lowered in IRREGULAR_PAST:
        return IRREGULAR_PAST[lowered]
    if lowered.endswith("e"):
        return lowered + "d"
    if re.search(r"[^aeiou]y$", lowered):
        return lowered[:-1] + "ied"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", lowered):
        return lowered + lowered[-1] + "ed"
    return lowered + "ed"


def from_gerund(word: str) -> str | None:
    """'writing' -> 'write', 'running' -> 'run': the verb of an -ing word, if a known verb."""
    lowered = word.lower()
    if not lowered.endswith("ing") or len(lowered) < 5:
        return None
    stem = lowered[:-3]
    for candidate in (stem, stem + "e", stem[:-1]):
        if candidate in VERBS:
            return candidate
    return None


def base_form(verb: str) -> str:
    """'parses' -> 'parse', 'fetches' -> 'fetch', 'copies' -> 'copy' (for names in code)."""
    lowered = verb.lower()
    if lowered.endswith("ies"):
        return lowered[:-3] + "y"
    if lowered.endswith(("ches", "shes", "sses", "xes", "zes")):
        return lowered[:-2]
    if lowered.endswith("s") and not lowered.endswith("ss"):
        return lowered[:-1]
    return lowered


def swap_person(words: list[str]) -> list[str]:
    """The asker's words from the answerer's side: 'my code' -> 'your code', 'I' -> 'you'."""
    swapped = []
    for word in words:
        lowered = word.lower()
        if lowered in SWAP and (word == "I" or word.islower() or lowered.startswith("i'")):
            swapped.append(SWAP[lowered])
        else:
            swapped.append(word)
    return swapped


def capitalize(text: str) -> str:
    """First letter up, the rest as written (so 'iPhone' and 'TLS' survive)."""
    return text[:1].upper() + text[1:]


def is_verb(word: str) -> bool:
    return word.lower() in VERBS


# --------------------------------------------------------------------------------------------
# The question


@dataclass(frozen=True, slots=True)
class Question:
    """A question as the templates need it."""

    text: str
    """The sentence the answer is about (the last question of a longer prompt)."""
    kind: Kind
    topic: str
    """A noun phrase for templates: 'choosing a database for a small team', 'why the sky is
    blue', 'TLS', 'whether you should learn Rust'."""
    task: str = ""
    """For how-to questions, what to do, as an infinitive: 'choose a database'."""
    doing: str = ""
    """The task as a gerund: 'choosing a database'."""
    context: str = ""
    """Who the task is for, as a phrase that can follow it: ' for a small team'."""
    options: tuple[str, str] = ("", "")
    """For comparisons, the two things compared."""
    plural: bool = False
    language: str | None = None
    words: tuple[str, ...] = ()
    """The question's content words, for seeds and domain hints."""
    english: bool = True

    @property
    def title(self) -> str:
        """A heading for the answer, in sentence case."""
        if self.kind == "compare":
            return f"{self.options[0]} vs {self.options[1]}"
        if self.kind == "greeting":
            return "Hello"
        if self.kind == "general" and self.topic in ("your question", "your situation"):
            return "A few thoughts"
        if self.kind == "define":
            return f"{capitalize(self.topic)}, explained"
        if self.kind == "yesno":
            asked = re.sub(r"\s+", " ", self.text.strip())
            return asked if len(asked) <= 70 else asked[:67].rstrip(" ,") + "…"
        title = capitalize(self.topic)
        return title if len(title) <= 70 else title[:67].rstrip(" ,") + "…"


def analyse(text: str) -> Question:
    """The kind and topic of a prompt, from its focus sentence."""
    whole = text.strip()
    sentence = focus_sentence(whole)
    words = tuple(topic_words(sentence or whole, limit=8))
    language = code_language(whole)
    english = looks_english(whole)
    if not english:
        return Question(sentence, "general", "your question", words=words, english=False)
    if GREETING.match(whole) or not words and len(whole.split()) <= 3:
        return Question(sentence, "greeting", "getting started", words=words)
    shaped = _shape(normalise(sentence))
    return Question(sentence, **shaped, language=language, words=words)  # type: ignore[arg-type]


def focus_sentence(text: str) -> str:
    """The sentence of a prompt that carries its question: the last one asking something (or
    the first request), so background paragraphs do not become the topic."""
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+|\n+", text) if s.strip()]
    if not sentences:
        return ""
    questions = [s for s in sentences if s.endswith("?")]
    if questions:
        return questions[-1]
    starts = re.compile(
        r"^(?:how|what|why|which|who|when|where|explain|compare|write|describe|tell|give|list|"
        r"help|show|suggest|recommend|should|can|could|is|are|do|does)\b",
        re.IGNORECASE,
    )
    asking = [s for s in sentences if starts.match(s)]
    return asking[-1] if asking else sentences[0]


def normalise(sentence: str) -> str:
    """The sentence without politeness, lead-ins and the final punctuation."""
    text = sentence.strip().rstrip("?!.:; ").strip()
    text = re.sub(r"^(?:hi|hello|hey)\b[,!]?\s+", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^(?:so|ok|okay|well|please|quick question)\b[,:]?\s+", "", text, flags=re.I)
    text = re.sub(r"^(?:can|could|would|will) you (?:please )?", "", text, flags=re.IGNORECASE)
    text = re.sub(
        r"^(?:please )?(?:tell me|show me|i (?:want|need|would like|'d like) to know|"
        r"i(?:'m| am) wondering|i wonder|do you know)\s+",
        "",
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(r"^help me (?:to )?(?=\w)", "how to ", text, flags=re.IGNORECASE)
    text = re.sub(
        r"^i(?:'m| am)? (?:want|need|would like|'d like|trying|try|am trying|'m trying) to\s+",
        "how to ",
        text,
        flags=re.IGNORECASE,
    )
    text = TRAILING_ASIDES.sub("", text)
    head, colon, _ = text.partition(": ")
    if colon and len(head.split()) >= 2:
        text = head
    return re.sub(r"\s+", " ", text).strip(" ,")


def tokens_of(text: str) -> list[str]:
    return [t.strip("\"'“”‘’()[],;:") for t in text.split() if t.strip("\"'“”‘’()[],;:")]


def _shape(text: str) -> dict[str, object]:
    """kind, topic and the kind's extra fields for a normalised sentence."""
    lowered = text.lower()
    compared = _comparison(text)
    if compared is not None:
        a, b = compared
        return {"kind": "compare", "topic": f"choosing between {a} and {b}", "options": (a, b)}
    for reader in (_howto, _why, _wh_question, _yesno, _imperative):
        shaped = reader(text, lowered)
        if shaped is not None:
            return shaped
    tokens = tokens_of(text)
    if 0 < len(tokens) <= 4 and not any(is_verb(t) for t in tokens[1:]):
        subject = " ".join(swap_person(tokens))
        return {"kind": "define", "topic": subject, "plural": _looks_plural(tokens[-1])}
    return {"kind": "general", "topic": "your situation"}


# --------------------------------------------------------------------------------------------
# Readers for each kind of question


def _comparison(text: str) -> tuple[str, str] | None:
    """The two options of 'X vs Y', 'compare X and Y', 'difference between X and Y', 'X or Y'."""
    patterns = (
        r"\bdifferences? between (?P<a>.+?) and (?P<b>.+)$",
        r"^compare (?P<a>.+?) (?:and|with|to|vs\.?|versus) (?P<b>.+)$",
        r"(?P<a>.+?)\s+(?:vs\.?|versus)\s+(?P<b>.+)$",
        r"^(?:should|would|do|does|is|are|can|which|what)\b(?P<a>.+?)\s+or\s+(?P<b>.+)$",
        r"^(?P<a>[\w.+#-]+(?: [\w.+#-]+)?) or (?P<b>[\w.+#-]+(?: [\w.+#-]+)?)$",
    )
    for pattern in patterns:
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            a = _option(tokens_of(match.group("a")), from_end=True)
            b = _option(tokens_of(match.group("b")), from_end=False)
            if a and b and a.lower() != b.lower():
                return a, b
    return None


OPTION_BREAKS = (
    AUXILIARIES | SUBJECT_PRONOUNS | PREPOSITIONS
    | frozenset("use using learn choose pick get buy which what better best worse or and "
                "is it better first nowadays today now compare".split())
)  # fmt: skip


def _option(tokens: list[str], *, from_end: bool) -> str:
    """The few words naming one option, cut where the sentence around it begins."""
    picked: list[str] = []
    sequence = list(reversed(tokens)) if from_end else tokens
    for token in sequence:
        lowered = token.lower().strip(",")
        if lowered in OPTION_BREAKS and (picked or lowered not in ("a", "the")):
            break
        if lowered in ("a", "an", "the") and not from_end and not picked:
            continue
        picked.append(token.strip(","))
        if len(picked) == 3:
            break
    if from_end:
        picked.reverse()
    words = [w for w in picked if w.lower() not in ("a", "an", "the")]
    return " ".join(words)


def _split_clause(tokens: list[str]) -> tuple[list[str], list[str]]:
    """'a small team choose a database' -> (['a', 'small', 'team'], ['choose', 'a', 'database'])."""
    if not tokens:
        return [], []
    first = tokens[0].lower()
    if first in SUBJECT_PRONOUNS:
        return tokens[:1], tokens[1:]
    for index in range(1, min(len(tokens), 6)):
        previous = tokens[index - 1].lower()
        if is_verb(tokens[index]) and previous not in DETERMINERS and previous not in PREPOSITIONS:
            return tokens[:index], tokens[index:]
    if first in DETERMINERS and len(tokens) >= 3:
        for index in range(3, min(len(tokens), 6)):
            if tokens[index].lower() in DETERMINERS | PREPOSITIONS:
                return tokens[: index - 1], tokens[index - 1 :]
        return tokens[:2], tokens[2:]
    return tokens[:1], tokens[1:]


def _split_be(tokens: list[str]) -> tuple[list[str], list[str]]:
    """'the sky blue' -> (['the', 'sky'], ['blue']): subject and predicate after 'is'/'are'."""
    if not tokens:
        return [], []
    if tokens[0].lower() in SUBJECT_PRONOUNS:
        return tokens[:1], tokens[1:]
    for index in range(1, len(tokens)):
        lowered = tokens[index].lower()
        if lowered in PREDICATE_STARTS or (lowered in PREPOSITIONS and lowered != "of"):
            return tokens[:index], tokens[index:]
    if tokens[0].lower() in DETERMINERS and len(tokens) >= 3:
        return tokens[:2], tokens[2:]
    return tokens[:1], tokens[1:]


def _statement(aux: str, tokens: list[str]) -> str:
    """An inverted question as a statement: ('does', 'my code crash') -> 'your code crashes'."""
    aux_lower = aux.lower()
    if aux_lower in BE_FORMS:
        subject, predicate = _split_be(tokens)
        subject = swap_person(subject)
        verb = SWAP.get(aux_lower, aux_lower) if subject == ["you"] else aux_lower
        if subject == ["you"] and aux_lower in ("is", "was"):
            verb = "are" if aux_lower == "is" else "were"
        return " ".join([*subject, verb, *swap_person(predicate)])
    subject, predicate = _split_clause(tokens)
    subject = swap_person(subject)
    predicate = swap_person(predicate)
    if aux_lower in DO_FORMS and predicate:
        if aux_lower == "did":
            predicate = [past_tense(predicate[0]), *predicate[1:]]
        elif aux_lower == "does":
            predicate = [third_person(predicate[0]), *predicate[1:]]
        return " ".join([*subject, *predicate])
    return " ".join([*subject, aux_lower, *predicate])


def _task_fields(task_tokens: list[str], subject: list[str] | None = None) -> dict[str, object]:
    """kind 'howto' with the task as infinitive and gerund, and who it is for."""
    task_tokens = _trim_clause(swap_person(task_tokens))
    if task_tokens and is_verb(task_tokens[0]):
        task_tokens = [task_tokens[0].lower(), *task_tokens[1:]]
    task = " ".join(task_tokens)
    doing = " ".join([gerund(task_tokens[0]), *task_tokens[1:]]) if task_tokens else task
    context = ""
    if subject and subject[0].lower() not in SUBJECT_PRONOUNS:
        context = " for " + " ".join(swap_person(subject))
    return {"kind": "howto", "topic": doing + context, "task": task, "doing": doing,
            "context": context}  # fmt: skip


def _trim_clause(tokens: list[str], limit: int = 14) -> list[str]:
    """A long task cut at a natural boundary, so it still fits in a sentence."""
    if len(tokens) <= limit:
        return tokens
    for index in range(4, len(tokens)):
        if tokens[index].lower() in ("because", "since", "while", "but", "so", "although"):
            return tokens[:index]
    return tokens[:limit]


def _howto(text: str, lowered: str) -> dict[str, object] | None:
    match = re.search(
        r"\bhow (to|do|does|did|should|can|could|would|might|will|must)\s+(.+)$", text, re.I
    )
    if match is None:
        match = re.search(r"\b(?:best|right|easiest|quickest|fastest) way (to)\s+(.+)$", text, re.I)
    if match is None:
        advice = re.match(
            r"^(?:give me |any |some |what are (?:some |the )?(?:best |good )?)?"
            r"(?:tips|advice|steps|best practices|suggestions)\s+(?:for|on|about)\s+(.+)$",
            text,
            re.IGNORECASE,
        )
        if advice:
            thing = tokens_of(advice.group(1))
            verb = from_gerund(thing[0]) if thing else None
            if verb:
                return _task_fields([verb, *thing[1:]])
            return _task_fields(["get", *thing, "right"]) if thing else None
        return None
    aux, rest = match.group(1).lower(), tokens_of(match.group(2))
    if not rest:
        return None
    if aux == "to":
        return _task_fields(rest)
    subject, predicate = _split_clause(rest)
    if not predicate:
        return None
    pronoun = subject[0].lower() in SUBJECT_PRONOUNS - {"it", "he", "she"}
    if aux in DO_FORMS and (not pronoun or predicate[0].lower() == "work"):
        return {"kind": "explain", "topic": "how " + _statement(aux, rest)}
    return _task_fields(predicate, subject)


def _wh_question(text: str, lowered: str) -> dict[str, object] | None:
    """what/which/who/when/where questions: definitions, advice, and indirect questions."""
    define = re.match(
        r"^(?:what|who)(?: is|'s| are| was| were) (?!the (?:best|right|easiest) way)(.+)$",
        text,
        re.IGNORECASE,
    ) or re.match(r"^(?:explain|define|describe|what about)\s+(.+)$", text, re.IGNORECASE)
    if define is None:
        define = re.match(r"^what does (.+?) mean$", text, re.IGNORECASE)
    if define:
        tokens = swap_person(tokens_of(define.group(1)))
        if not tokens:
            return None
        if tokens[0].lower() in ("how", "what", "when", "where", "who", "which", "whether"):
            return {"kind": "explain", "topic": " ".join([tokens[0].lower(), *tokens[1:]])}
        if tokens[0].lower() == "why":
            return {"kind": "why", "topic": " ".join(["why", *tokens[1:]])}
        if tokens[0].lower() == "the" and "of" in [t.lower() for t in tokens[2:]]:
            return {"kind": "explain", "topic": " ".join(tokens)}
        if lowered.startswith(("who", "what was", "what were")):
            return {"kind": "explain", "topic": " ".join(tokens)}
        plural = " are " in f" {lowered[:9]} " or _looks_plural(tokens[-1])
        if len(tokens) > 8 and lowered.startswith(("explain", "describe")):
            return {"kind": "explain", "topic": " ".join(tokens)}
        return {"kind": "define", "topic": " ".join(tokens), "plural": plural}
    advice = re.match(
        r"^(what|which(?: \w+)?|where|when|who) (?:should|can|could|do|would) "
        r"(?:i|we) (\w+)(.*)$",
        text,
        re.IGNORECASE,
    )
    if advice:
        wh, verb, rest = advice.group(1), advice.group(2), advice.group(3)
        if verb.lower() in ("do",) and not rest.strip():
            return None
        tokens = ["decide", *swap_person(tokens_of(f"{wh.lower()} to {verb}{rest}"))]
        return _task_fields(tokens)
    indirect = re.match(
        r"^(what|which|who|when|where|how (?:long|much|many|often|far|big|old|fast))"
        r"\s+(?:(\S+)\s+)?(.*)$",
        text,
        re.IGNORECASE,
    )
    if indirect:
        wh, second, rest = indirect.group(1).lower(), indirect.group(2) or "", indirect.group(3)
        tokens = tokens_of(rest)
        if second.lower() in AUXILIARIES and tokens:
            return {"kind": "explain", "topic": f"{wh} {_statement(second, tokens)}"}
        clause = " ".join(swap_person(tokens_of(f"{second} {rest}")))
        return {"kind": "explain", "topic": f"{wh} {clause}".strip()}
    return None


def _why(text: str, lowered: str) -> dict[str, object] | None:
    match = re.match(r"^why\s+(?:(\S+)\s+)?(.+)$", text, re.IGNORECASE)
    if match is None:
        benefits = re.match(
            r"^what are (?:the )?(benefits|advantages|pros|downsides|disadvantages|risks|causes|"
            r"reasons for|reasons behind) (?:of )?(.+)$",
            text,
            re.IGNORECASE,
        )
        if benefits:
            what = benefits.group(1).lower()
            tokens = swap_person(tokens_of(benefits.group(2)))
            return {
                "kind": "why",
                "topic": f"the {what} of {' '.join(tokens)}".replace(
                    "reasons for of", "reasons for"
                ).replace("reasons behind of", "reasons behind"),
            }
        return None
    first, rest = match.group(1) or "", tokens_of(match.group(2))
    if first.lower() in AUXILIARIES and rest:
        return {"kind": "why", "topic": "why " + _statement(first, rest)}
    clause = swap_person(tokens_of(f"{first} {match.group(2)}"))
    return {"kind": "why", "topic": "why " + " ".join(clause)}


def _yesno(text: str, lowered: str) -> dict[str, object] | None:
    tokens = tokens_of(text)
    if len(tokens) < 2 or tokens[0].lower() not in AUXILIARIES:
        return None
    statement = _statement(tokens[0], tokens[1:])
    return {"kind": "yesno", "topic": "whether " + statement}


IMPERATIVE_TASKS = frozenset(
    """write build create implement make fix debug refactor optimise optimize design plan set
    convert parse sort reverse generate automate deploy configure install migrate""".split()
)
IMPERATIVE_SUBJECTS = frozenset(
    "list give suggest recommend name summarise summarize translate outline find".split()
)


def _imperative(text: str, lowered: str) -> dict[str, object] | None:
    tokens = tokens_of(text)
    if not tokens:
        return None
    first = tokens[0].lower()
    if first in IMPERATIVE_TASKS:
        return _task_fields(tokens)
    if first in IMPERATIVE_SUBJECTS:
        rest = [t for t in tokens[1:] if t.lower() not in ("me", "us")]
        if rest:
            return {"kind": "general", "topic": " ".join(swap_person(rest))}
    return None


# --------------------------------------------------------------------------------------------
# Small readers


def _looks_plural(word: str) -> bool:
    lowered = word.lower()
    return (
        len(lowered) > 3
        and lowered.endswith("s")
        and not lowered.endswith(("ss", "us", "is", "ics"))
        and not word.isupper()
    )


STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below best between both but by can could did do does doing done down during each easy
    explain few for from further get give good had has have having he her here hers him his how i
    if in into is it its itself just know let like make me more most much must my need no nor not
    now of off on once only or other our out over own please quick same say see she should show so
    some such tell than that the their them then there these they thing things this those through
    to too under until up use using very want was way we well were what when where which while who
    whom why will with would you your yours reply makes made getting got works word words choose
    pick describe write short simple question answer help really""".split()
)


def topic_words(text: str, limit: int = 3) -> list[str]:
    """The first distinct content words of a question, lower case: what the answer is about."""
    found: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9+#'.-]*[A-Za-z0-9+#]|[A-Za-z]", text):
        lowered = re.sub(r"'s$", "", word.lower()).strip("'-.")
        if len(lowered) < 3 and lowered not in CODE_HINTS:
            continue
        if lowered in STOPWORDS or lowered in found:
            continue
        found.append(lowered)
        if len(found) == limit:
            break
    return found


def code_language(text: str) -> str | None:
    """The language a code example should use, when the question smells of code.

    Choosing or learning a language ("learn Rust", "Python or Go") is not a request for code,
    unless the question also names a piece of code (a function, a regex, a bug...)."""
    words = re.findall(r"[a-z][a-z0-9.+#]*", text.lower())
    explicit = [CODE_HINTS[w] for w in words if w in CODE_HINTS and w not in GENERIC_CODE_WORDS]
    if re.search(r"\bin go\b|\bgo (?:code|function|program|module)\b", text, re.IGNORECASE):
        explicit.insert(0, "go")
    generic = GENERIC_CODE_WORDS & set(words)
    if re.search(r"\b[A-Z]\w*Error\b|\bNoneType\b|\bstack ?trace\b", text):
        generic = generic | {"error"}
    if not explicit and not generic:
        return None
    if NON_CODE_CONTEXT.search(text) and not generic:
        return None
    return explicit[0] if explicit else "python"


def looks_english(text: str) -> bool:
    """Whether a prompt is (mostly) English: the templates only speak English."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    ascii_share = sum(1 for c in letters if c.isascii()) / len(letters)
    if ascii_share < 0.6:
        return False
    words = re.findall(r"[a-z']+", text.lower())
    return len(words) < 5 or any(w in ENGLISH_HINTS for w in words)
