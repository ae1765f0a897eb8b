"""What a write leaves behind in the gateway's database, in one statement: audit rows, read positions and
the Idempotency-Key answer (each table keeps its own repository for everything else)."""
from __future__ import annotations

import base64
import json
import uuid

from sqlalchemy import text

from gateway.adapters.audit import AUDIT_COLUMNS, AUDIT_RECORDSET
from shared.consistency import Positions
from shared.sqljson import json_rows

# Built once: it runs before the answer of every write that has positions or a key to keep (of several
# writes at once under load). Its parts do nothing when given nothing. Positions only grow; several rows of
# one organisation and stream are folded first (an upsert may not touch a row twice), and taken in one
# order, so that two statements never wait for each other's rows in turn.
_CLOSE = text(
    "with audit as (" + AUDIT_RECORDSET + "), "
    "positions as (insert into read_positions (organisation_id, stream, seq) "
    "select t.org, t.stream, max(t.seq) from jsonb_to_recordset(cast(:positions as jsonb)) "
    "as t(org uuid, stream text, seq bigint) group by t.org, t.stream order by t.org, t.stream "
    "on conflict (organisation_id, stream) do update set seq = greatest(read_positions.seq, excluded.seq)), "
    "finished as (update idempotency_keys k set state = 'done', response_status = a.status, "
    "response_body = decode(a.body, 'base64'), response_headers = a.headers "
    "from jsonb_to_recordset(cast(:answers as jsonb)) as a(scope text, key text, status int, body text, "
    "headers jsonb) where k.scope = a.scope and k.key = a.key), "
    "released as (delete from idempotency_keys k using jsonb_to_recordset(cast(:released as jsonb)) "
    "as r(scope text, key text) where k.scope = r.scope and k.key = r.key and k.state = 'in_progress') "
    "select 1")


class ClosingRepository:
    """The rows writes leave behind, in one round trip."""

    def __init__(self, uow):
        self._uow = uow

    async def write(self, *, audit: list[dict], positions: dict[uuid.UUID, Positions],
                    keys: list[tuple[str, str, tuple[int, dict, bytes] | None]] = ()) -> None:
        """Insert `audit` rows (in order), keep `positions` per organisation, and for each Idempotency-Key
        (caller, key, answer) keep its answer (status, headers, body), or with None forget the key."""
        rows = [{"org": str(organisation_id), "stream": stream, "seq": seq}
                for organisation_id, by_stream in positions.items() for stream, seq in by_stream.items()]
        answers = [{"scope": scope, "key": key, "status": answer[0], "headers": answer[1],
                    "body": base64.b64encode(answer[2]).decode()}
                   for scope, key, answer in keys if answer is not None]
        released = [{"scope": scope, "key": key} for scope, key, answer in keys if answer is None]
        # Rows as JSON text, not lists: psycopg dumps a list element by element, at many times the CPU.
        await self._uow.execute(_CLOSE, {"rows": json_rows(audit, AUDIT_COLUMNS), "positions": json.dumps(rows),
                                         "answers": json.dumps(answers), "released": json.dumps(released)})
