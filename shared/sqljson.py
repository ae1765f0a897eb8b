"""Rows sent to PostgreSQL as one JSON parameter (`json(b)_to_recordset`, `jsonb_array_elements`).

psycopg dumps a list parameter element by element in Python; json.dumps writes the same rows in C, at
several times less CPU. Ids are written as text and instants in ISO 8601 (read back as uuid and
timestamptz by the statement's column types).
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Iterable, Sequence


def _plain(value):
    # Converted here rather than by json.dumps' `default` hook, which costs 3 times more per value.
    kind = type(value)
    if kind is uuid.UUID:
        return str(value)
    if kind is list:
        return [str(v) if type(v) is uuid.UUID else v for v in value]
    if kind is datetime:
        return value.isoformat()
    return value


def _default(value):
    """json.dumps' hook: what json cannot write itself (ids and instants, also of subclasses)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON parameter")


def json_rows(rows: Iterable[Any], keys: Sequence[str] | None = None) -> str:
    """The rows as one JSON text parameter; with `keys`, only those keys of each row, converted up front
    (the fast path for many rows of ids and instants)."""
    if keys is not None:
        rows = [{k: _plain(r[k]) for k in keys} for r in rows]
    return json.dumps(rows if isinstance(rows, list) else list(rows), default=_default)
