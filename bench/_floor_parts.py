"""The processes of the design's floor (`bench/floor.py`): one per service, each doing for a booking only
what the architecture and the event catalogue fix, on the libraries the services run on (uvicorn, FastAPI,
psycopg, nats-py), and nothing else.

What each part does per booking (the real service's statements merged as far as one statement can go):
- gateway: the request's hop; one statement before the call (the caller's session), one after (the audit);
  a hop to booking.
- booking: a hop to availability (the check), one statement writing the RDV under the exclusion constraint
  with its outbox row, the publish of `booking.rdv.created`, one statement marking it sent.
- availability: the check's hop and one statement; a consumer of `booking.rdv.>` keeping the busy times.
- usagers: a consumer of `booking.rdv.>` (the usager's history).
- notifications: a consumer of `booking.rdv.>` writing three messages (usager's SMS and email, agent's
  email) with their outbox rows, three publishes of `notifications.message.sent`, one statement marking
  them sent. Nothing is rendered or sent.
- reporting: three consumers, the RDV facts, the pseudonymised `reporting.rdv.created` (with its outbox
  row, publish and mark) and the messages' outcomes.
A consumer takes a batch, writes it in one statement (its inbox is the table's primary key), and acks
each message. Not done at all: validation, identity, idempotency records, rendering, sending, tracing,
logging, metrics, retries, reads after writes.

    python -m bench._floor_parts service <name> --db URL --nats URL [--port N --peer URL]
(`service <name>` in the command line lets tests/support/procs.py count the CPU under the service's name.)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import time
import traceback
import uuid
from datetime import datetime, timedelta

import orjson
import psycopg
from fastapi import FastAPI
from nats.js.api import AckPolicy, ConsumerConfig

from shared.bus import connect
from shared.http1 import Pool

SLOT = timedelta(minutes=5)
TAKEN = orjson.dumps({"error": {"code": "slot_taken", "message": "Ce créneau vient d'être pris."}})
BATCH = 500
PULL, PULL_EXPIRES_NS = 256, 30 * 10**9

SCHEMAS = {
    "gateway": ["create table sessions (token text primary key, organisation_id uuid not null)",
                "create table audit (id bigserial primary key, at timestamptz not null, status int not null, "
                "answer bytea not null)"],
    "booking": ["create extension if not exists btree_gist",
                "create table rdv_agents (rdv_id uuid primary key, agent_id uuid not null, usager_id uuid, "
                "during tstzrange not null, active boolean not null, "
                "exclude using gist (agent_id with =, during with &&) where (active))"],
    "availability": ["create extension if not exists btree_gist",
                     "create table busy (event_id uuid primary key, agent_id uuid not null, "
                     "during tstzrange not null)",
                     "create index on busy using gist (agent_id, during)"],
    "usagers": ["create table history (event_id uuid primary key, body jsonb not null)"],
    "notifications": ["create table messages (event_id uuid not null, channel text not null, body jsonb not null, "
                      "primary key (event_id, channel))"],
    "reporting": ["create table facts (event_id uuid primary key, body jsonb not null)",
                  "create table public (event_id uuid primary key)",
                  "create table outcomes (event_id uuid primary key, body jsonb not null)"],
}
OUTBOX = ("create table outbox (id bigserial primary key, subject text not null, payload bytea not null, "
          "sent_at timestamptz)")
PRODUCERS = ("booking", "notifications", "reporting")
RDV = ("BOOKING", "booking.rdv.>")
# service: its durable consumers (name, stream, subject, linger: the service's consumer's max_wait)
CONSUMERS = {
    "availability": [("floor-availability", *RDV, 0.05)],
    "usagers": [("floor-usagers", *RDV, 0.1)],
    "notifications": [("floor-notifications", *RDV, 0.05)],
    "reporting": [("floor-reporting-facts", *RDV, 0.05), ("floor-reporting-public", *RDV, 0.05),
                  ("floor-reporting-notifications", "NOTIFICATIONS", "notifications.message.>", 0.2)],
}


def schema(service: str) -> list[str]:
    return SCHEMAS[service] + ([OUTBOX] if service in PRODUCERS else [])


class Statements:
    """A few autocommit connections: each statement is its own transaction, one round trip."""

    def __init__(self, url: str, size: int = 4):
        self.url, self.size = url, size
        self._idle: asyncio.Queue = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self._idle.put_nowait(await psycopg.AsyncConnection.connect(self.url, autocommit=True))

    async def run(self, sql: str, params=()) -> list[tuple]:
        conn = await self._idle.get()
        try:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchall() if cursor.description else []
        finally:
            self._idle.put_nowait(conn)


async def publish_and_mark(db: Statements, js, rows: list[tuple[int, str, bytes]]) -> None:
    """The relay's round: publish the outbox rows just written (JetStream drops a copy by its id), mark them."""
    await asyncio.gather(*(js.publish(subject, payload, headers={"Nats-Msg-Id": f"floor-{id_}"})
                           for id_, subject, payload in rows))
    await db.run("update outbox set sent_at = now() where id = any(%s)", ([id_ for id_, _, _ in rows],))


async def consume(nc, js, *, stream: str, durable: str, subject: str, linger: float, handle) -> None:
    """A durable pull consumer asked continuously: one pull request for PULL messages at a time, so that a
    message costs its delivery and its ack, little more. Under load (a message came less than `linger` after
    the last batch was done) the batch fills for `linger`, as the services' consumers do (their max_wait);
    `handle` writes it in one statement; then each message is acked."""
    await js.add_consumer(stream, ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT,
                                                 filter_subject=subject))
    inbox = nc.new_inbox()
    arrived: asyncio.Queue = asyncio.Queue()
    owed = 0

    async def ask() -> None:
        nonlocal owed
        owed = PULL
        await nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                         orjson.dumps({"batch": PULL, "expires": PULL_EXPIRES_NS}), reply=inbox)

    async def on_message(msg) -> None:
        nonlocal owed
        status = msg.headers.get("Status") if msg.headers else None
        if status is None:
            arrived.put_nowait(msg)
            owed -= 1
            if owed == 0:
                await ask()
        elif status in ("408", "409"):  # the request expired or was ended by the server: ask again
            await ask()

    await nc.subscribe(inbox, cb=on_message)
    await ask()
    done = 0.0
    while True:
        msgs = [await arrived.get()]
        if time.monotonic() - done < linger:
            await asyncio.sleep(linger)
        while len(msgs) < BATCH and not arrived.empty():
            msgs.append(arrived.get_nowait())
        await handle([orjson.loads(m.data) for m in msgs])
        for m in msgs:
            await m.ack()
        done = time.monotonic()


def _records(events: list[dict]) -> str:
    return orjson.dumps(events).decode()  # text: psycopg would send bytes as bytea


# ---------------------------------------------------------------- the parts
def answered_before_routing(path: str, handler) -> FastAPI:
    """A FastAPI app whose one route, `POST path`, is answered by a pure ASGI middleware ahead of FastAPI's
    routing, as the services' hot routes are (shared/web/hot.py): the least a FastAPI app can do for a request.
    `handler(headers, body)` returns (status, body)."""
    class Route:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] != "http" or scope["path"] != path or scope["method"] != "POST":
                await self.app(scope, receive, send)
                return
            chunks, more = [], True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            status, content = await handler(dict(scope["headers"]), b"".join(chunks))
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", b"%d" % len(content))]})
            await send({"type": "http.response.body", "body": content})

    app = FastAPI()
    app.add_middleware(Route)
    return app


def gateway_app(db: Statements, peer: Pool) -> FastAPI:
    async def book(headers: dict, body: bytes) -> tuple[int, bytes]:
        token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
        if not await db.run("select organisation_id from sessions where token = %s", (token,)):
            return 401, b"{}"
        answer = await peer.call("POST", "/rdvs", headers={"Content-Type": "application/json"}, body=body)
        await db.run("insert into audit (at, status, answer) values (now(), %s, %s)",
                     (answer.status, answer.content))
        return answer.status, answer.content

    return answered_before_routing("/api/v1/rdvs", book)


def booking_app(db: Statements, peer: Pool, js) -> FastAPI:
    async def book(headers: dict, raw: bytes) -> tuple[int, bytes]:
        body = orjson.loads(raw)
        verdict = await peer.call("POST", "/check", headers={"Content-Type": "application/json"}, body=raw)
        if verdict.status != 200:
            return 409, TAKEN
        starts_at = datetime.fromisoformat(body["starts_at"])
        event = {"event_id": str(uuid.uuid4()), "rdv_id": str(uuid.uuid4()), "agent_id": body["agent_ids"][0],
                 "usager_id": body["usager_ids"][0], "motif_id": body["motif_id"], "lieu_id": body["lieu_id"],
                 "starts_at": starts_at.isoformat(), "ends_at": (starts_at + SLOT).isoformat()}
        try:
            rows = await db.run(
                "with rdv as (insert into rdv_agents values (%s, %s, %s, tstzrange(%s, %s, '[)'), true)) "
                "insert into outbox (subject, payload) values ('booking.rdv.created', %s) "
                "returning id, subject, payload",
                (event["rdv_id"], event["agent_id"], event["usager_id"], starts_at, starts_at + SLOT,
                 orjson.dumps(event)))
        except (psycopg.errors.ExclusionViolation, psycopg.errors.DeadlockDetected):
            # two inserts for one agent's overlapping times may each wait on the other: one is refused,
            # as bench/_booking_baseline.py counts it (the service queues them on a per-agent lock instead)
            return 409, TAKEN
        await publish_and_mark(db, js, rows)
        return 201, orjson.dumps({"id": event["rdv_id"], "status": "unknown"})

    return answered_before_routing("/rdvs", book)


def availability_app(db: Statements) -> FastAPI:
    async def check(headers: dict, raw: bytes) -> tuple[int, bytes]:
        body = orjson.loads(raw)
        starts_at = datetime.fromisoformat(body["starts_at"])
        busy = await db.run("select exists (select 1 from busy where agent_id = %s and during && tstzrange(%s, %s))",
                            (body["agent_ids"][0], starts_at, starts_at + SLOT))
        return (409 if busy[0][0] else 200), b"{}"

    return answered_before_routing("/check", check)


def consumers(service: str, db: Statements, nc, js) -> list:
    """The consumers of `service`, as coroutines."""
    async def keep_busy(events):
        await db.run("insert into busy select e.event_id, e.agent_id, tstzrange(e.starts_at, e.ends_at) "
                     "from jsonb_to_recordset(%s::jsonb) as e(event_id uuid, agent_id uuid, starts_at timestamptz, "
                     "ends_at timestamptz) on conflict do nothing", (_records(events),))

    def keep(table: str):
        async def handle(events):
            await db.run(f"insert into {table} select e.event_id, e.body from jsonb_to_recordset(%s::jsonb) "
                         "as e(event_id uuid, body jsonb) on conflict do nothing",
                         (_records([{"event_id": e["event_id"], "body": e} for e in events]),))
        return handle

    async def compose_messages(events):
        messages = [{"event_id": e["event_id"], "channel": channel, "body": e}
                    for e in events for channel in ("usager-sms", "usager-email", "agent-email")]
        rows = await db.run(
            "with fresh as (insert into messages select m.event_id, m.channel, m.body "
            "from jsonb_to_recordset(%s::jsonb) as m(event_id uuid, channel text, body jsonb) "
            "on conflict do nothing returning event_id, channel) "
            "insert into outbox (subject, payload) select 'notifications.message.sent', "
            "convert_to(json_build_object('event_id', gen_random_uuid(), 'rdv_event_id', event_id, "
            "'channel', channel)::text, 'UTF8') from fresh returning id, subject, payload",
            (_records(messages),))
        await publish_and_mark(db, js, rows)

    async def publish_public(events):
        rows = await db.run(
            "with fresh as (insert into public select e.event_id from jsonb_to_recordset(%s::jsonb) "
            "as e(event_id uuid) on conflict do nothing returning event_id) "
            "insert into outbox (subject, payload) select 'reporting.rdv.created', "
            "convert_to(json_build_object('event_id', gen_random_uuid(), 'source', event_id)::text, 'UTF8') "
            "from fresh returning id, subject, payload", (_records(events),))
        await publish_and_mark(db, js, rows)

    handlers = {"floor-availability": keep_busy, "floor-usagers": keep("history"),
                "floor-notifications": compose_messages, "floor-reporting-facts": keep("facts"),
                "floor-reporting-public": publish_public, "floor-reporting-notifications": keep("outcomes")}
    return [consume(nc, js, stream=stream, durable=durable, subject=subject, linger=linger, handle=handlers[durable])
            for durable, stream, subject, linger in CONSUMERS.get(service, [])]


# ---------------------------------------------------------------- a process
async def serve(args) -> None:
    import uvicorn

    db = Statements(args.db)
    await db.open()
    nc = await connect(args.nats, name=f"floor-{args.service}")
    js = nc.jetstream()
    peer = Pool(args.peer) if args.peer else None
    apps = {"gateway": lambda: gateway_app(db, peer), "booking": lambda: booking_app(db, peer, js),
            "availability": lambda: availability_app(db)}
    tasks = [asyncio.create_task(c) for c in consumers(args.service, db, nc, js)]
    for task in tasks:
        task.add_done_callback(_end_on_failure)
    if args.service in apps:
        config = uvicorn.Config(apps[args.service](), host="127.0.0.1", port=args.port, log_config=None,
                                access_log=False, timeout_keep_alive=65)
        await uvicorn.Server(config).serve()
    else:
        await asyncio.gather(*tasks)


def _end_on_failure(task: asyncio.Task) -> None:
    """A consumer that failed ends its process, so that the bench sees it (bench/floor.py checks the parts
    are alive when the run ends) rather than figures from a floor missing a part."""
    if not task.cancelled() and task.exception() is not None:
        traceback.print_exception(task.exception())
        os._exit(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("word", choices=["service"])
    parser.add_argument("service", choices=list(SCHEMAS))
    parser.add_argument("--db", required=True)
    parser.add_argument("--nats", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--peer", default="")
    args = parser.parse_args()
    try:
        import uvloop  # what uvicorn runs the services on when it is installed
    except ImportError:
        uvloop = None
    (uvloop.run if uvloop else asyncio.run)(serve(args))


if __name__ == "__main__":
    main()
