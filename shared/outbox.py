"""The transactional outbox: the rows an event is written as.

A change and its event are written in one transaction: the unit of work (`shared.db`) inserts the
rows of the events published through it (`INSERT`, `outbox_json`) inside its commit; a statement
that writes a change and its event at once uses `insert_outbox_sql`, or `payload_json` and
`outbox_headers`. The relay (`shared.relay`) publishes them. This module knows no database object: `shared.db` imports it.
"""
from __future__ import annotations

import json
from typing import Iterable

from sqlalchemy import text

from shared import tracing
from shared.events import Envelope


def insert_outbox_sql(param: str = "rows") -> str:
    """The INSERT of the outbox rows given as one JSON array parameter `:param` (`outbox_json`), in order;
    a constant statement (a multi-row INSERT ... VALUES is compiled anew for each number of rows), also
    usable as a CTE of a larger one."""
    return ("insert into outbox (id, subject, payload, headers) "
            "select cast(e->>'id' as uuid), e->>'subject', e->'payload', e->'headers' "
            f"from jsonb_array_elements(cast(:{param} as jsonb)) with ordinality as t(e, n) order by n")


INSERT = text(insert_outbox_sql())


def outbox_headers(event: Envelope) -> dict:
    """The NATS headers of an event's message: `Nats-Msg-Id` for JetStream's duplicate window, and the
    `traceparent` of the request or event that caused it."""
    headers = {"Nats-Msg-Id": str(event.id)}
    traceparent = event.traceparent or tracing.current_traceparent()
    if traceparent:
        headers["traceparent"] = traceparent
    return headers


def outbox_json(events: Iterable[Envelope]) -> str:
    """The events' outbox rows as the JSON parameter of `insert_outbox_sql`.

    Each payload is pydantic's own JSON of the event (`payload_json`), written into the array as is: the
    values as `event.model_dump(mode="json")`, without building those dicts and encoding them again."""
    return "[" + ",".join(
        f'{{"id":"{ev.id}","subject":{json.dumps(ev.subject)},"payload":{payload_json(ev)},'
        f'"headers":{json.dumps(outbox_headers(ev))}}}' for ev in events) + "]"


def payload_json(event: Envelope) -> str:
    """The event as its outbox payload, in JSON (stored as jsonb: the text's layout does not matter)."""
    return event.model_dump_json()
