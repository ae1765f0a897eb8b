"""What a write leaves behind in the gateway's database, in one statement: audit rows, read positions and
the Idempotency-Key answer (each table keeps its own repository for everything else)."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from gateway.adapters.audit import AUDIT_COLUMNS, AUDIT_RECORDSET
from shared.consistency import Positions
from shared.sqljson import json_rows

# Built once: it runs before the answer of every write that has positions or a key to keep. Its parts do
# nothing when given nothing (no rows, no key). Positions only grow; several rows of one organisation and
# stream are folded first (an upsert may not touch a row twice), and taken in one order, so that two
# writes never wait for each other's rows in turn.
_CLOSE = text(
    "with audit as (" + AUDIT_RECORDSET + "), "
    "positions as (insert into read_positions (organisation_id, stream, seq) "
    "select t.org, t.stream, max(t.seq) from jsonb_to_recordset(cast(:positions as jsonb)) "
    "as t(org uuid, stream text, seq bigint) group by t.org, t.stream order by t.org, t.stream "
    "on conflict (organisation_id, stream) do update set seq = greatest(read_positions.seq, excluded.seq)), "
    "finished as (update idempotency_keys set state = 'done', response_status = cast(:status as int), "
    "response_body = cast(:body as bytea), response_headers = cast(:headers as jsonb) "
    "where scope = cast(:scope as text) and key = cast(:key as text) and cast(:done as boolean)), "
    "released as (delete from idempotency_keys where scope = cast(:scope as text) and key = cast(:key as text) "
    "and state = 'in_progress' and not cast(:done as boolean)) "
    "select 1")


class ClosingRepository:
    """The rows a write leaves behind, in one round trip."""

    def __init__(self, uow):
        self._uow = uow

    async def write(self, *, audit: list[dict], positions: dict[uuid.UUID, Positions],
                    key: tuple[str, str] | None = None,
                    answer: tuple[int, dict, bytes] | None = None) -> None:
        """Insert `audit` rows (in order), keep `positions` per organisation, and for the Idempotency-Key
        `key` (caller, key) keep `answer` (status, headers, body), or with None forget the key."""
        rows = [{"org": str(organisation_id), "stream": stream, "seq": seq}
                for organisation_id, by_stream in positions.items() for stream, seq in by_stream.items()]
        status, headers, body = answer if answer is not None else (None, None, None)
        # Rows as JSON text, not lists: psycopg dumps a list element by element, at many times the CPU.
        await self._uow.execute(_CLOSE, {
            "rows": json_rows(audit, AUDIT_COLUMNS), "positions": json.dumps(rows),
            "scope": key[0] if key else None, "key": key[1] if key else None, "done": answer is not None,
            "status": status, "body": body, "headers": json.dumps(headers) if headers is not None else None})
