#!/usr/bin/env python3
"""A consumer of rdv's pseudonymised RDV events, for a team outside the project to start from.

Needs only nats-py (`pip install nats-py`). It connects as the read-only user `reader`, creates (or
resumes) its own durable consumer on the stream REPORTING filtered to `reporting.rdv.>`, and prints each
event as one JSON line, acknowledging it once handled. Stop it and start it again with the same
`--durable`: it resumes after the last acknowledged event. See docs/consumers.md.

    RDV_EVENTS_URL=nats://127.0.0.1:4222 RDV_EVENTS_PASSWORD=... \\
        python examples/rdv_events_consumer.py --durable equipe-stats --since 2027-01-01

Options: --url (comma-separated cluster nodes; default RDV_EVENTS_URL), --user (default `reader`),
--password (default RDV_EVENTS_PASSWORD), --ca (TLS: the CA of the servers' certificate), --durable (the
consumer's name: letters, digits, `-`, `_`), --since (ISO date or instant: replay from then, only when the
consumer is created), --max (stop after that many events), --idle (stop after that many seconds without any).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import sys
from datetime import datetime, timezone

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

STREAM = "REPORTING"
SUBJECTS = "reporting.rdv.>"
# What a cluster answers while it elects a leader for the stream or the consumer (a node restarting): ask
# again a moment later.
ELECTING = (nats.js.errors.ServiceUnavailableError, nats.errors.NoRespondersError)


def handle(event: dict, subject: str) -> None:
    """Replace with your own processing (load into a warehouse, count...). An exception here leaves the
    event unacknowledged: it comes back after the consumer's ack wait."""
    print(json.dumps({"subject": subject, **event}, ensure_ascii=False), flush=True)


def parse_since(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def resume_or_create(js, config: ConsumerConfig) -> None:
    try:
        await js.consumer_info(STREAM, config.durable_name)  # resume where it stopped
    except nats.js.errors.NotFoundError:
        await js.add_consumer(STREAM, config)


async def patiently(call, seconds: float = 60.0):
    """`call()`, asked again each second while the cluster is electing a leader, for `seconds` at most."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await call()
        except ELECTING:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(1)


async def run(args) -> int:
    servers = [s.strip() for s in args.url.split(",") if s.strip()]
    tls = ssl.create_default_context(cafile=args.ca) if args.ca else None
    nc = await nats.connect(servers, user=args.user, password=args.password, tls=tls,
                            inbox_prefix=f"_INBOX_{args.user}",  # the only inbox the server lets it use
                            name=f"rdv-events-{args.durable}", max_reconnect_attempts=-1)
    js = nc.jetstream(timeout=10)
    # `name` as well as `durable_name`: the request then names its filter subject, which is what the server
    # lets `reader` create (consumers of REPORTING filtered to reporting.rdv.>, nothing else).
    config = ConsumerConfig(name=args.durable, durable_name=args.durable, filter_subject=SUBJECTS,
                            ack_policy=AckPolicy.EXPLICIT,
                            ack_wait=30, max_ack_pending=1000,
                            deliver_policy=DeliverPolicy.BY_START_TIME if args.since else DeliverPolicy.ALL,
                            opt_start_time=parse_since(args.since).isoformat() if args.since else None)
    await patiently(lambda: resume_or_create(js, config))
    sub = await js.pull_subscribe_bind(args.durable, stream=STREAM)
    seen, idle_since = 0, asyncio.get_running_loop().time()
    try:
        while args.max is None or seen < args.max:
            try:
                msgs = await sub.fetch(100 if args.max is None else min(100, args.max - seen), timeout=1)
            except nats.errors.TimeoutError:
                msgs = []
            except ELECTING:
                msgs = []
                await asyncio.sleep(1)
            if not msgs:
                if args.idle and asyncio.get_running_loop().time() - idle_since > args.idle:
                    break
                continue
            for msg in msgs:
                handle(json.loads(msg.data), msg.subject)
                await msg.ack_sync()  # acknowledged once handled: at-least-once delivery
                seen += 1
            idle_since = asyncio.get_running_loop().time()
    finally:
        await nc.drain()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Lit les événements RDV pseudonymisés de rdv.")
    parser.add_argument("--url", default=os.environ.get("RDV_EVENTS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--user", default=os.environ.get("RDV_EVENTS_USER", "reader"))
    parser.add_argument("--password", default=os.environ.get("RDV_EVENTS_PASSWORD"))
    parser.add_argument("--ca", default=os.environ.get("RDV_EVENTS_CA"))
    parser.add_argument("--durable", default="reader-example")
    parser.add_argument("--since")
    parser.add_argument("--max", type=int)
    parser.add_argument("--idle", type=float)
    args = parser.parse_args(argv)
    if not args.password:
        parser.error("mot de passe manquant : --password ou RDV_EVENTS_PASSWORD")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
