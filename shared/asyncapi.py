"""The AsyncAPI 3 document of the event catalogue, generated from `shared.events`.

`rdv asyncapi` writes it to docs/asyncapi.yaml (committed); `rdv asyncapi --check` fails when the
committed file differs from what the models say (a test does the same).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.bus import DUPLICATE_WINDOW_SECONDS
from shared.events import CATALOGUE, STREAMS, Envelope

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "docs" / "asyncapi.yaml"
SCHEMAS = "#/components/schemas/{model}"

PRODUCERS = {"directory": "gateway", "availability": "availability", "booking": "booking",
             "usagers": "usagers", "notifications": "notifications", "reporting": "reporting"}


class DeadLetter(BaseModel):
    """What a consumer sends to `deadletter.<consumer>` after `max_deliver` failed attempts."""

    consumer: str
    subject: str
    error: str
    data: str


def _channel_id(subject: str) -> str:
    head, *rest = subject.split(".")
    return head + "".join(part.replace("_", " ").title().replace(" ", "") for part in rest)


def _schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], str]] = [(Envelope, "serialization"), (DeadLetter, "validation")]
    for model in dict.fromkeys(CATALOGUE.values()):
        models.append((model, "validation"))
    _, defs = models_json_schema(models, ref_template=SCHEMAS)
    return dict(sorted(defs["$defs"].items()))


def _headers_schema() -> dict[str, Any]:
    return {"type": "object", "required": ["Nats-Msg-Id"], "properties": {
        "Nats-Msg-Id": {"type": "string", "format": "uuid",
                        "description": "= the envelope's id; JetStream drops a duplicate within the window"},
        "traceparent": {"type": "string", "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                        "description": "W3C trace context of the request that caused the event"}}}


def _stream_of(subject: str) -> str:
    prefix = subject.split(".", 1)[0]
    return next(name for name, pattern in STREAMS.items() if pattern.split(".", 1)[0] == prefix)


def _event(subject: str, model: type[BaseModel]) -> tuple[dict, dict, dict]:
    """The message, channel and publish operation of one event type."""
    cid, producer, stream = _channel_id(subject), PRODUCERS[subject.split(".", 1)[0]], _stream_of(subject)
    message = {
        "name": subject, "title": subject, "contentType": "application/json",
        "headers": _headers_schema(),
        "payload": {"allOf": [{"$ref": SCHEMAS.format(model="Envelope")}, {
            "type": "object", "required": ["type", "data"],
            "properties": {"type": {"const": subject}, "version": {"const": 1},
                           "data": {"$ref": SCHEMAS.format(model=model.__name__)}}}]},
    }
    channel = {
        "address": subject, "title": subject,
        "description": f"Stream `{stream}` (subjects `{STREAMS[stream]}`), published by {producer}.",
        "messages": {cid: {"$ref": f"#/components/messages/{cid}"}},
    }
    operation = {
        "action": "send", "title": f"{producer} publie {subject}",
        "channel": {"$ref": f"#/channels/{cid}"},
        "messages": [{"$ref": f"#/channels/{cid}/messages/{cid}"}],
    }
    return message, channel, operation


def _dead_letters() -> tuple[dict, dict, dict]:
    """The message, channel and receive operation of `deadletter.<consumer>`."""
    message = {"name": "deadletter", "title": "deadletter.<consumer>", "contentType": "application/json",
               "payload": {"$ref": SCHEMAS.format(model="DeadLetter")}}
    channel = {
        "address": "deadletter.{consumer}", "title": "deadletter.<consumer>",
        "description": f"Stream `DEADLETTER` (subjects `{STREAMS['DEADLETTER']}`): a message that failed "
                       "max_deliver times for one consumer, with the error.",
        "parameters": {"consumer": {"description": "durable consumer name, `<service>-<purpose>`"}},
        "messages": {"deadLetter": {"$ref": "#/components/messages/deadLetter"}},
    }
    operation = {
        "action": "receive", "title": "l'exploitation lit les messages en échec",
        "channel": {"$ref": "#/channels/deadLetter"},
        "messages": [{"$ref": "#/channels/deadLetter/messages/deadLetter"}],
    }
    return message, channel, operation


def _info() -> dict[str, Any]:
    return {
        "title": "rdv — catalogue des événements",
        "version": "1",
        "description": (
            "Events published on NATS JetStream by the rdv services (contract v1). Delivery is at "
            "least once, in order per subject, from a transactional outbox; each message carries "
            "`Nats-Msg-Id` = envelope id (duplicate window "
            f"{DUPLICATE_WINDOW_SECONDS // 60} minutes). Consumers are durable, shared by replicas, "
            "with explicit ack, and apply each event once. Fields may be added within a version, "
            "never renamed or removed. Generated by `rdv asyncapi` from shared/events.py."),
        "license": {"name": "AGPL-3.0-or-later"},
    }


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a plain dict (deterministic: same models, same document)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for subject, model in sorted(CATALOGUE.items()):
        cid = _channel_id(subject)
        messages[cid], channels[cid], operations[f"publish_{cid}"] = _event(subject, model)
    messages["deadLetter"], channels["deadLetter"], operations["receive_deadLetter"] = _dead_letters()
    return {
        "asyncapi": "3.0.0",
        "info": _info(),
        "defaultContentType": "application/json",
        "servers": {"nats": {"host": "nats:4222", "protocol": "nats",
                             "description": "NATS JetStream (NATS_URL); one stream per producing service"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": _schemas()},
    }


def render() -> str:
    header = "# Generated by `rdv asyncapi` from shared/events.py: do not edit by hand.\n"
    return header + yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=110)


def write(path: Path = DEFAULT_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


def is_current(path: Path = DEFAULT_PATH) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == render()

