"""Usagers search benchmark: 200 000 usagers in one organisation, search p95 as agents type.

    .venv/bin/python -m bench.usagers [--usagers 200000] [--queries 300]

Loads realistic French names (accents, hyphens, apostrophes), phones (mobiles, landlines,
DOM numbers) and emails with COPY into a freshly migrated usagers database (embedded
PostgreSQL, or BENCH_DATABASE_URL / TEST_DATABASE_URL: a server URL whose `postgres`
database may create databases), then times the service's search use case
(`search_usagers`, the code the HTTP route runs) for name prefixes, phones and emails.
Also measures the usagers-rdv projection lag (events published to NATS -> applied).
Prints a table and writes it to bench/RESULTS.md (section "Usagers search").
Target: p95 <= 20 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg

TARGET_P95_MS = 20.0
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
START, END = "<!-- usagers:start -->", "<!-- usagers:end -->"

FIRST_NAMES = """Élodie Hélène Chloé Anaïs Zoé Noémie Jérôme Frédéric Grégoire Clément Loïc Maëlle Joël Gaëlle
Béatrice Cécile Jean-Pierre Marie-Claire Anne-Sophie Jean-Luc Pierre-Yves Marie-Hélène Léa Emma Jade Louise
Alice Lina Rose Léna Mila Ambre Inès Julia Manon Camille Sarah Lucie Juliette Éva Clémence Mathilde Océane Laure
Nathalie Isabelle Sylvie Catherine Françoise Valérie Christine Sandrine Sophie Stéphanie Véronique Aurélie Émilie
Gabriel Léo Raphaël Louis Arthur Jules Adam Lucas Hugo Noé Maël Mohamed Ethan Nathan Théo Paul Sacha Timéo Tom
Enzo Mathis Noah Aaron Axel Samuel Antoine Baptiste Alexandre Nicolas Julien Thomas Maxime Romain Kévin Sébastien
Jean Philippe Michel Alain Patrick Christophe Stéphane Laurent Éric Daniel Bernard François Thierry Pascal Olivier
Jean-Marc Jean-François Marie-Thérèse Anne-Laure Aïcha Fatou Mamadou Moussa Yasmine Karim Mehdi Nour Salomé
Capucine Héloïse Agathe Margaux Anaëlle Maëlys Thaïs Naël Aurélien Benoît Rémi Aloïs Zoë Cléa Énora""".split()
LAST_NAMES = """Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre Leroy
Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Müller Lefebvre Mercier
Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry
Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard
Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martínez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal
Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc
Payet Rolland Leclercq Guillaume Lecomte López Jean Dupuy Guillot Hubert Berger Carpentier Sánchez Dupuis Moulin
Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré
Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernández Collet Léger Bouvier
Julien Prévost Millet Perrot Daniel Cousin Germain Breton Besson Langlois Rémy Pelletier Lévêque Perrier Leblanc
Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin
Poulain Tessier Chevallier Collin Chauvin Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud Antoine Hoarau
Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte N'Diaye Diallo Traoré
Nguyen Saint-Martin Lefèvre-Durand Martin-Dubois D'Almeida Le_Gall Le_Goff Le_Roux Da_Silva Ben_Ali Öztürk
Lefort-Duchêne Bérenger Côté Crétin Jégou Kerjean Quéré Pétain-Caillaux Valléé Thébault""".split()
LAST_NAMES = [n.replace("_", " ") for n in LAST_NAMES]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "yahoo.fr", "hotmail.fr", "sfr.fr", "outlook.fr"]
DOM_PREFIXES = {"0690": "+590", "0691": "+590", "0696": "+596", "0694": "+594", "0692": "+262",
                "0693": "+262", "0639": "+262", "0590": "+590", "0262": "+262"}
STREETS = ["rue de la République", "avenue Jean-Jaurès", "place de l'Église", "chemin des Écoliers", "rue Victor-Hugo"]


def _weights(n: int) -> list[float]:
    return [1 / (rank + 1) ** 0.7 for rank in range(n)]  # a few names are common, most are rarer


def _fold(text: str) -> str:
    from services.usagers.domain.search import fold

    return "".join(c for c in fold(text) if c.isalnum())


def make_rows(count: int, organisation_id: uuid.UUID, services: list[uuid.UUID], rng: random.Random):
    """Yield COPY rows: (id, org, first, last, birth_name, birth_date, email, phone, address, service_ids).

    60 % of the usagers have had one to three RDVs, each in one of the services.
    """
    firsts = rng.choices(FIRST_NAMES, weights=_weights(len(FIRST_NAMES)), k=count)
    lasts = rng.choices(LAST_NAMES, weights=_weights(len(LAST_NAMES)), k=count)
    for i in range(count):
        first, last = firsts[i], lasts[i]
        birth_name = rng.choice(LAST_NAMES) if rng.random() < 0.2 else None
        birth_date = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 34000)) if rng.random() < 0.85 else None
        kind = rng.random()
        if kind < 0.65:
            national = rng.choice(["06", "07"]) + f"{rng.randrange(10**8):08d}"
        elif kind < 0.80:
            national = rng.choice(["01", "02", "03", "04", "05", "09"]) + f"{rng.randrange(10**8):08d}"
        elif kind < 0.90:
            prefix = rng.choice(list(DOM_PREFIXES))
            national = prefix + f"{rng.randrange(10**6):06d}"
        else:
            national = None
        if national is None:
            phone = None
        elif national[:4] in DOM_PREFIXES:
            phone = DOM_PREFIXES[national[:4]] + national[1:]
        else:
            phone = "+33" + national[1:]
        email = (f"{_fold(first)}.{_fold(last)}{rng.randrange(1000)}@{rng.choice(DOMAINS)}"
                 if rng.random() < 0.7 else None)
        address = f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, {rng.randrange(10000, 99999)}" \
            if rng.random() < 0.5 else None
        linked = sorted({rng.choice(services) for _ in range(rng.randint(1, 3))}) if rng.random() < 0.6 else []
        yield (uuid.uuid4(), organisation_id, first, last, birth_name, birth_date, email, phone, address, linked)


def load(url: str, *, organisation_id: uuid.UUID, count: int, other_count: int, services: list[uuid.UUID],
         rng: random.Random) -> float:
    """Bulk-load the usagers and their RDV links (COPY); return the seconds it took.

    `service_ids` is what the usagers-rdv consumer maintains from rdv_usagers; loaded directly here.
    """
    started = time.perf_counter()
    links = []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        with conn.cursor() as cur:
            for org, n in ((organisation_id, count), (uuid.uuid4(), other_count)):
                with cur.copy("copy usagers (id, organisation_id, first_name, last_name, birth_name, birth_date, "
                              "email, phone, address, service_ids) from stdin") as copy:
                    for row in make_rows(n, org, services, rng):
                        copy.write_row(row)
                        links += [(row[0], uuid.uuid4(), org, service) for service in row[-1]]
            with cur.copy("copy rdv_usagers (usager_id, rdv_id, organisation_id, service_id) from stdin") as copy:
                for link in links:
                    copy.write_row(link)
            cur.execute("vacuum analyze")
    return time.perf_counter() - started


def _typed(word: str, rng: random.Random) -> str:
    """How an agent types a word: sometimes without accents, sometimes in capitals."""
    from services.usagers.domain.search import fold

    roll = rng.random()
    if roll < 0.4:
        return fold(word)
    if roll < 0.5:
        return word.upper()
    return word.lower()


def _phone_formats(e164: str, rng: random.Random) -> str:
    if e164.startswith("+33"):
        national = "0" + e164[3:]
    else:
        national = "0" + e164[4:]
    pairs = " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return rng.choice([national, pairs, pairs.replace(" ", "."), pairs.replace(" ", "-"),
                       e164, "00" + e164[1:], e164[:3] + " " + " ".join(e164[3 + i:5 + i] for i in range(0, 9, 2))])


def make_queries(url: str, organisation_id: uuid.UUID, n: int, rng: random.Random) -> dict[str, list[str]]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        sample = conn.execute("select first_name, last_name, phone, email from usagers where organisation_id = %s "
                              "order by random() limit %s", (organisation_id, n * 2)).fetchall()
    queries: dict[str, list[str]] = {k: [] for k in ("name prefix (3-6 letters)", "first + last name",
                                                      "phone, full (any format)", "phone, partial (6 digits)",
                                                      "email, full", "email, prefix")}
    for first, last, phone, email in sample:
        word = rng.choice([first, last])
        queries["name prefix (3-6 letters)"].append(_typed(word[:rng.randint(3, 6)], rng))
        queries["first + last name"].append(_typed(f"{first} {last[:rng.randint(2, 5)]}", rng))
        if phone:
            queries["phone, full (any format)"].append(_phone_formats(phone, rng))
            national = "0" + (phone[3:] if phone.startswith("+33") else phone[4:])
            queries["phone, partial (6 digits)"].append(" ".join(national[i:i + 2] for i in range(0, 6, 2)))
        if email:
            queries["email, full"].append(email.upper() if rng.random() < 0.2 else email)
            at = email.index("@")
            queries["email, prefix"].append(email[:at + 2])
    queries["no query (first page)"] = [""] * min(n, 50)
    return {k: v[:n] for k, v in queries.items()}


async def measure(url: str, organisation_id: uuid.UUID, services: list[uuid.UUID],
                  queries: dict[str, list[str]]) -> list[tuple[str, str, int, float, float, float, int]]:
    from services.usagers.service_layer.unit_of_work import unit_of_work
    from services.usagers.service_layer.usagers import search_usagers
    from shared.db import Database
    from shared.identity import Identity

    db = Database(url, pool_size=4)
    admin = Identity(organisation_id=organisation_id, agent_id=uuid.uuid4(), role="admin",
                     service_ids=services[:2])
    rows = []
    try:
        for scope in ("organisation", "service"):
            for label, qs in queries.items():
                if scope == "service" and not label.startswith(("name", "phone, full", "no query")):
                    continue
                for q in qs[:20]:  # warm-up: pool, plans, caches
                    await search_usagers(uow=unit_of_work(db), identity=admin, q=q, scope=scope, page=1, per_page=20)
                timings, found = [], 0
                for q in qs:
                    started = time.perf_counter()
                    items, total = await search_usagers(uow=unit_of_work(db), identity=admin, q=q, scope=scope,
                                                        page=1, per_page=20)
                    timings.append((time.perf_counter() - started) * 1000)
                    found += total
                timings.sort()
                p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
                rows.append((label, scope, len(timings), statistics.median(timings), p95, timings[-1],
                             found / max(1, len(timings))))
    finally:
        await db.dispose()
    return rows


async def measure_lag(url: str, nats_url: str, organisation_id: uuid.UUID, services: list[uuid.UUID],
                      *, events: int, rate: float) -> tuple[float, float, float]:
    """Publish booking.rdv.created events at `rate`/s to the usagers-rdv consumer; return lag p50, p95, max (ms).

    Lag = the consumer's transaction start (inbox.processed_at) minus the moment the event was published.
    """
    from sqlalchemy import text

    from services.usagers.entrypoints.consumers import consumers
    from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
    from shared.bus import connect, ensure_streams
    from shared.db import Database
    from shared.events import new_event
    from shared.inbox import ConsumerRunner

    db = Database(url, pool_size=4, unit_of_work=UsagersUnitOfWork)
    nc = await connect(nats_url, name="bench-usagers")
    js = nc.jetstream(timeout=5)
    await ensure_streams(js)
    async with db.uow(autocommit=True) as uow:
        usager_ids = (await uow.execute(text("select id from usagers where organisation_id = :o limit :n"),
                                        {"o": organisation_id, "n": events})).scalars().all()
    runner = ConsumerRunner(db, js, [c for c in consumers() if c.name == "usagers-rdv"][0])
    runner.start()
    sent: dict[str, float] = {}
    try:
        starts = datetime(2027, 3, 2, 9, tzinfo=timezone.utc)
        for i, usager_id in enumerate(usager_ids):
            rdv = {"id": str(uuid.uuid4()), "organisation_id": str(organisation_id), "motif_id": str(uuid.uuid4()),
                   "lieu_id": None, "agent_ids": [str(uuid.uuid4())], "usager_ids": [str(usager_id)],
                   "starts_at": (starts + timedelta(minutes=30 * i)).isoformat(),
                   "ends_at": (starts + timedelta(minutes=30 * i + 30)).isoformat(), "status": "unknown",
                   "service_id": str(services[i % len(services)]), "version": 1, "origin": "agent"}
            ev = new_event("booking.rdv.created", organisation_id=organisation_id, data={"rdv": rdv})
            sent[str(ev.id)] = time.time()
            await js.publish(ev.subject, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})
            await asyncio.sleep(1 / rate)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with db.uow(autocommit=True) as uow:
                rows = (await uow.execute(text(
                    "select event_id::text, extract(epoch from processed_at) from inbox "
                    "where consumer = 'usagers-rdv'"))).all()
            if len(rows) >= len(sent):
                break
            await asyncio.sleep(0.2)
    finally:
        await runner.stop()
        await nc.close()
        await db.dispose()
    lags = sorted((float(at) - sent[event_id]) * 1000 for event_id, at in rows if event_id in sent)
    if len(lags) < len(sent):
        raise RuntimeError(f"only {len(lags)} of {len(sent)} events applied within 60 s")
    return statistics.median(lags), lags[max(0, int(round(0.95 * len(lags))) - 1)], lags[-1]


def render(rows, *, count: int, load_seconds: float, lag: tuple[float, float, float] | None = None,
           lag_events: int = 0, lag_rate: float = 0) -> str:
    lines = [f"## Usagers search ({count:_} usagers in one organisation, 20 per page, ".replace("_", " ")
             + "use case `search_usagers` against PostgreSQL)", "",
             f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; bulk load (COPY, generated search columns, "
             f"indexes, RDV links) {load_seconds:.1f} s. Target: p95 <= {TARGET_P95_MS:.0f} ms. "
             f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end of the run "
             "(shared with other work: figures inflate with load).", "",
             "| query | scope | n | p50 ms | p95 ms | max ms | mean matches | p95 <= target |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for label, scope, n, p50, p95, worst, matches in rows:
        ok = "yes" if p95 <= TARGET_P95_MS else "NO"
        lines.append(f"| {label} | {scope} | {n} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {matches:.1f} | {ok} |")
    if lag:
        lines += ["", f"Projection lag (booking.rdv.created published to NATS -> applied by the usagers-rdv consumer, "
                      f"{lag_events} events at {lag_rate:.0f}/s): p50 {lag[0]:.0f} ms, p95 {lag[1]:.0f} ms, "
                      f"max {lag[2]:.0f} ms (target <= 1000 ms)."]
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    body = f"{START}\n{section}{END}\n"
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        current = head + body + rest.split(END, 1)[1].lstrip("\n")
    else:
        current = current.rstrip("\n") + "\n\n" + body
    RESULTS.write_text(current)


def _database(tmp: Path):
    """A server to bench on: BENCH_DATABASE_URL / TEST_DATABASE_URL, else an embedded one."""
    admin = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    server = None
    if not admin:
        from rdv.embedded import EmbeddedPostgres, free_port

        server = EmbeddedPostgres(tmp, free_port(), fast=True)
        server.start()
        admin = server.url
    name = f"bench_usagers_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return server, admin.rsplit("/", 1)[0] + f"/{name}"


def _nats(tmp: Path):
    """A NATS to bench on: BENCH_NATS_URL / TEST_NATS_URL, else an embedded one."""
    url = os.environ.get("BENCH_NATS_URL") or os.environ.get("TEST_NATS_URL")
    if url:
        return None, url
    from rdv.embedded import EmbeddedNats, free_port

    server = EmbeddedNats(tmp, free_port())
    server.start()
    return server, server.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--usagers", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=300, help="queries per kind")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--lag-events", type=int, default=500, help="events for the projection lag (0: skip)")
    parser.add_argument("--lag-rate", type=float, default=100.0, help="events per second for the lag")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args(argv)

    from shared.migrations import upgrade

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="rdv-bench-usagers-") as tmp:
        server, url = _database(Path(tmp))
        try:
            upgrade("usagers", url)
            organisation_id = uuid.uuid4()
            services = [uuid.uuid4() for _ in range(8)]
            print(f"loading {args.usagers} usagers...", flush=True)
            seconds = load(url, organisation_id=organisation_id, count=args.usagers,
                           other_count=args.usagers // 10, services=services, rng=rng)
            print(f"loaded in {seconds:.1f} s", flush=True)
            queries = make_queries(url, organisation_id, args.queries, rng)
            rows = asyncio.run(measure(url, organisation_id, services, queries))
            lag = None
            if args.lag_events:
                nats_server, nats_url = _nats(Path(tmp))
                try:
                    lag = asyncio.run(measure_lag(url, nats_url, organisation_id, services,
                                                  events=args.lag_events, rate=args.lag_rate))
                finally:
                    if nats_server:
                        nats_server.stop()
        finally:
            if server:
                server.stop()
    section = render(rows, count=args.usagers, load_seconds=seconds, lag=lag, lag_events=args.lag_events,
                     lag_rate=args.lag_rate)
    print(section)
    if not args.no_write:
        write_results(section)
        print(f"written to {RESULTS}")
    ok = all(r[4] <= TARGET_P95_MS for r in rows if not r[0].startswith("no query")) and (not lag or lag[1] <= 1000)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
