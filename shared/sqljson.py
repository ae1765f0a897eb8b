"""Rows sent to PostgreSQL as one JSON parameter (`json(b)_to_recordset`, `jsonb_array_elements`).

psycopg dumps a list parameter element by element in Python; orjson writes the same rows in C, with
ids as text and instants in ISO 8601 itself (read back as uuid and timestamptz by the statement's column
types), where json.dumps would need them converted in Python first.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Iterable, Sequence

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS  # as json.dumps: a number key becomes its text


def _default(value):
    """What orjson cannot write itself (subclasses of ids and instants)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON parameter")


def json_rows(rows: Iterable[Any], keys: Sequence[str] | None = None) -> str:
    """The rows as one JSON text parameter; with `keys`, only those keys of each row."""
    if keys is not None:
        rows = [{k: r[k] for k in keys} for r in rows]
    return orjson.dumps(rows if isinstance(rows, list) else list(rows), default=_default, option=_OPTIONS).decode()
