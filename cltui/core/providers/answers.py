"""Reading answers: a whole (non-streamed) chat or completion answer, and the shapes of the
fields inside it that differ between providers (content parts, reasoning, error objects)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cltui.core.providers.base import StreamChunk
from cltui.core.providers.error_wording import ErrorWording, StreamProgress
from cltui.core.providers.errors import MalformedResponseError
from cltui.core.providers.http_errors import parse_json_body
from cltui.core.providers.results import ChatResult, parse_usage


def chat_result(payload: Any, model: str, wording: ErrorWording) -> ChatResult:
    """The answer of /chat/completions (`message`) or /completions (`text`) without streaming;
    raises the typed error when the answer reports one."""
    subject = wording.subject(model)
    if not isinstance(payload, Mapping):
        raise MalformedResponseError(f"{subject}: the answer is not a JSON object", model=model)
    error = payload.get("error")
    choices = payload.get("choices")
    if error and not choices:
        raise wording.from_payload(error_object(error), model)
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise MalformedResponseError(
            f"{subject}: the answer has no choices: is base_url an OpenAI-compatible API?",
            model=model,
        )
    choice = choices[0]
    message = choice.get("message")
    if isinstance(message, Mapping):
        content = text_of(message.get("content"))
        reasoning = reasoning_of(message)
    else:
        content = text_of(choice.get("text"))
        reasoning = text_of(choice.get("reasoning"))
    if choice.get("finish_reason") == "error" or choice.get("error"):
        progress = StreamProgress(text=content, started=bool(content))
        raise wording.in_stream(error_object(choice.get("error")), model, progress)
    answered_by = payload.get("model")
    generation_id = payload.get("id")
    finish = choice.get("finish_reason")
    return ChatResult(
        content=content,
        reasoning=reasoning,
        usage=parse_usage(payload.get("usage")),
        finish_reason=str(finish) if finish else None,
        model=answered_by if isinstance(answered_by, str) else None,
        generation_id=generation_id if isinstance(generation_id, str) else None,
    )


def result_as_chunk(result: ChatResult) -> StreamChunk:
    """A whole answer as the one chunk of a stream, for callers that asked for a stream."""
    return StreamChunk(
        content=result.content,
        reasoning=result.reasoning,
        usage=result.usage,
        finish_reason=result.finish_reason,
        model=result.model,
        generation_id=result.generation_id,
    )


def json_or_malformed(raw: bytes, model: str | None, wording: ErrorWording) -> Any:
    """The parsed body; a body that is not JSON means base_url is probably wrong."""
    payload = parse_json_body(raw)
    if payload is None:
        snippet = wording.clean(raw.decode("utf-8", "replace"), 80) or "an empty body"
        raise MalformedResponseError(
            f"{wording.subject(model)}: the endpoint answered something that is not JSON "
            f"({snippet}): is base_url an OpenAI-compatible API?",
            model=model,
        )
    return payload


def error_object(error: Any) -> Mapping[str, Any]:
    """An `error` field in any of the shapes seen: an object, a string, or missing."""
    if isinstance(error, Mapping):
        inner = error.get("error")
        if isinstance(inner, Mapping) and "message" not in error:
            return inner
        return error
    if isinstance(error, str) and error:
        return {"message": error}
    return {"message": "the provider ended the reply with an error"}


def text_of(value: Any) -> str:
    """Text from a content field: a string, or a list of `{type: text, text}` parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part["text"]
            for part in value
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        )
    return ""


def reasoning_of(delta: Mapping[str, Any]) -> str:
    """Reasoning text: `reasoning` when given, else the text of `reasoning_details` items
    (OpenRouter sends both with the same text; taking one avoids doubling it)."""
    reasoning = delta.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        return reasoning
    details = delta.get("reasoning_details")
    if not isinstance(details, list):
        return ""
    pieces = []
    for item in details:
        if isinstance(item, Mapping):
            text = item.get("text") if isinstance(item.get("text"), str) else item.get("summary")
            if isinstance(text, str):
                pieces.append(text)
    return "".join(pieces)


def data_of(payload: Any) -> dict[str, Any]:
    """The `data` object of an answer, or the answer itself when it has none."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if isinstance(data, Mapping):
        return dict(data)
    return dict(payload) if isinstance(payload, Mapping) else {}
