"""Scale benchmark: the same figures on a small and on a national data set, side by side, in one run.

    .venv/bin/python -m bench.scale [--scale 1.0] [--rounds 2] [--no-write] [--keep]

Two data sets, each on its own embedded PostgreSQL + NATS, with availability and booking running
as services and the usagers and reporting databases migrated as in production:
- small: one large organisation (100 agents with the créneaux benchmark's plages, absences and
  6 weeks of RDVs ahead, 200 000 usagers, one year of RDVs: about 100 000);
- national: the same organisation with five years of RDVs, and around it the country (issue 22:
  2 000 organisations, 20 000 agents, 10 M RDVs over 5 years, 3 M usagers, plages and absences),
  `--scale` multiplying those counts (the large organisation stays the same).
Everything past the services' own API calls is loaded with COPY (bench/_scale_data.py); the build
time and the databases' size are reported.

Then, alternating between the two sets (`--rounds`), the figures a national deployment must keep:
the 7-day créneaux search over the 100 agents (use case), booking through the booking service
(CPU of every process per booking, by process, and latency), usager search (use case), the
organisation's statistics over a year (use case), and the XLSX export of that year (about
100 000 RDVs, the job's code). Prints the 'scale' table (small vs national, ratio, target <= 1.5)
and writes it into bench/RESULTS.md (section "Scale"). The data is removed at the end.
"""
from __future__ import annotations

import argparse
import os
import statistics
import uuid
from datetime import datetime, timedelta

import psycopg

from bench import _scale_data as data
from bench._results import write_section
from bench._scale_figures import BOOKINGS, USAGER_QUERIES, measure
from bench._scale_sets import YEAR, DataSet, build

TARGET_RATIO = 1.5


# ---------------------------------------------------------------- plans
_OLD_BUSY = ("select a.agent_id, b.starts_at, b.ends_at from busy_rdvs b "
             "cross join lateral unnest(b.agent_ids) as a(agent_id) where b.agent_ids && %(agents)s::uuid[] "
             "and b.starts_at < %(end)s and b.ends_at > %(start)s and b.status = any(%(active)s) "
             "and a.agent_id = any(%(agents)s)")
_NEW_BUSY = ("select agent_id, starts_at, ends_at from busy_agents where agent_id = any(%(agents)s) "
             "and ends_at > %(start)s and starts_at < %(end)s and status = any(%(active)s)")
_NAMES = ("select u.id from usagers u where u.anonymized_at is null "
          "and u.search @@ rdv_org_query(%(org)s, to_tsquery('simple', %(names)s))")
_COUNT = "select count(*) from usagers u where u.organisation_id = %(org)s and u.anonymized_at is null"
_WEEKS = ("select to_char(date_trunc('week', f.starts_at at time zone 'Europe/Paris'), 'YYYY-MM-DD'), f.status, "
          "count(*) from rdv_facts f where f.organisation_id = %(org)s and f.starts_at >= %(first)s "
          "and f.starts_at < %(last)s group by 1, 2")


def plans(ds: DataSet) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the queries fixed for scale on `ds`: the busy RDVs of the créneaux
    search (through busy_rdvs' GIN index, then busy_agents) and the statistics by week (heap fetches,
    as through the former narrow index, then index-only), the old way and the new; the usager search
    by first + last name and its total without a query (the old way's index is gone: its plans are in
    the notes)."""
    from bench._creneaux_data import WINDOW

    start = datetime.combine(WINDOW[0], datetime.min.time(), data.ZONE)
    params = {"agents": [uuid.UUID(a) for a in ds.agents], "start": start,
              "end": start + timedelta(days=7), "active": ["unknown", "seen", "noshow"],
              "org": ds.organisation_id, "first": datetime.combine(YEAR[0], datetime.min.time(), data.ZONE),
              "last": datetime.combine(YEAR[1] + timedelta(days=1), datetime.min.time(), data.ZONE),
              "names": "'elodie':* & 'mart':*"}
    cases = [("créneaux busy RDVs, before (busy_rdvs, GIN on agent_ids)", "availability", _OLD_BUSY, None),
             ("créneaux busy RDVs, after (busy_agents, btree on agent_id, ends_at)", "availability", _NEW_BUSY, None),
             ("statistics by week, before (heap fetch per fact)", "reporting", _WEEKS,
              "set enable_indexonlyscan = off"),
             ("statistics by week, after (covering index)", "reporting", _WEEKS, None),
             ("usager search 'Élodie Mart', after (words keyed by organisation)", "usagers", _NAMES, None),
             ("usager search without a query, its total, after (partial index)", "usagers", _COUNT, None)]
    out = []
    for title, service, sql, setting in cases:
        with psycopg.connect(data.plain(ds.dsns[service])) as conn:
            if setting:
                conn.execute(setting)
            for _ in range(2):  # the second, warm
                lines = [r[0] for r in conn.execute("explain (analyze, buffers, costs off) " + sql, params)]
        keep = [line for line in lines if "->" in line or not line.startswith(" ")]
        keep = [line for line in keep if not line.startswith(("Planning", "Buffers", "Sort Key", "Group Key"))]
        out.append(f"{title}:\n```\n" + "\n".join(
            line if len(line) < 130 else line[:127] + "..." for line in keep[:8]) + "\n```")
    return out


# ---------------------------------------------------------------- the table
def rows_of(figures: dict) -> list[tuple[str, float, float, str]]:
    """(figure, small, national, unit) — medians across the rounds."""
    def of(name: str) -> dict:
        f = figures[name]
        booked = f["booking"]
        out = {"7-day créneaux search, 100 agents (use case) p50": (statistics.median(f["creneaux"]), "ms"),
               "  CPU per search (this process + PostgreSQL)": (statistics.median(f["creneaux_cpu"]), "ms"),
               "booking: CPU of every process per booking": (
                   statistics.median(b["cpu_ms"] for b in booked), "ms"),
               "booking: latency p50 (8 clients, through the booking service)": (
                   statistics.median(statistics.median(b["latencies"]) for b in booked), "ms"),
               "statistics of a year, by motif + by week (use case) p50": (statistics.median(f["stats"]), "ms"),
               "  CPU per statistics (this process + PostgreSQL)": (statistics.median(f["stats_cpu"]), "ms"),
               "export of the year's RDVs to XLSX (job's code)": (min(e[0] for e in f["export"]), "s"),
               "  CPU per export (this process + PostgreSQL)": (min(e[1] for e in f["export"]), "s")}
        for label in f["usagers"][0]:
            name = f"usager search: {label}" if label.startswith("CPU") else f"usager search: {label} p50"
            out[name] = (statistics.median(r[label][0] for r in f["usagers"]), "ms")
        return out

    small, national = of("small"), of("national")
    return [(k, small[k][0], national[k][0], small[k][1]) for k in small]


def render(sets: list[DataSet], figures: dict, args, load_before: float) -> tuple[str, bool]:
    rows = rows_of(figures)
    # The verdict is on the CPU figures: wall times on this shared machine move with the other work
    # running (both are printed).
    ok = all(n / s <= TARGET_RATIO for name, s, n, _u in rows if s > 0 and "CPU" in name)
    small, national = sets
    lines = ["| figure | small | national | ratio | <= 1.5 |", "|---|---:|---:|---:|---|"]
    for name, s, n, unit in rows:
        ratio = n / s if s else float("nan")
        if "CPU" not in name:
            name += " (wall)"
        lines.append(f"| {name} | {s:.{2 if unit == 's' else 1}f} {unit} | {n:.{2 if unit == 's' else 1}f} {unit} "
                     f"| {ratio:.2f} | {'yes' if ratio <= TARGET_RATIO else 'NO'} |")
    per_process = []
    for ds in sets:
        kinds: dict = {}
        for b in figures[ds.name]["booking"]:
            for k, v in b["by_kind"].items():
                kinds.setdefault(k, []).append(v)
        per_process.append(f"{ds.name}: " + ", ".join(
            f"{k} {statistics.median(v):.1f}"
            for k, v in sorted(kinds.items(), key=lambda kv: -statistics.median(kv[1]))
            if statistics.median(v) >= 0.05) + " ms")
    statuses = {ds.name: {} for ds in sets}
    for ds in sets:
        for b in figures[ds.name]["booking"]:
            for k, v in b["statuses"].items():
                statuses[ds.name][k] = statuses[ds.name].get(k, 0) + v

    def fmt(n: int) -> str:
        return f"{n:,}".replace(",", " ")

    def describe(ds: DataSet) -> str:
        c = ds.counts
        return (f"{fmt(c['organisations'])} organisation(s) with plages, {fmt(c['agents'])} agents, {fmt(c['RDVs'])} "
                f"RDVs, {fmt(c['usagers'])} usagers, {fmt(c['absences'])} absences; built in "
                f"{sum(ds.build.values()):.0f} s ("
                + ", ".join(f"{k} {v:.0f} s" for k, v in ds.build.items()) + "); "
                + f"{sum(ds.sizes.values()) / 1e9:.2f} GB on disk ("
                + ", ".join(f"{k} {v / 1e9:.2f}" for k, v in ds.sizes.items()) + ")")

    shape = data.Shape().scaled(args.scale)
    verdict = (f"Every CPU ratio <= {TARGET_RATIO}: {'yes' if ok else 'NO'}. CPU = utime + stime of the benchmark "
               "process and of the set's PostgreSQL backends (/proc), which other work on the machine does not "
               "inflate; the wall times (p50) are printed beside them.")
    text = "\n".join(lines) + "\n\n" + verdict + "\n\n" + "\n".join([
        f"- small: {describe(small)}.",
        f"- national (`--scale {args.scale:g}`: {fmt(shape.organisations)} organisations, {fmt(shape.agents)} agents, "
        f"{fmt(shape.rdvs)} RDVs over {shape.years} years, {fmt(shape.usagers)} usagers asked): {describe(national)}.",
        "- The measured organisation is the same in both: 100 agents with the créneaux benchmark's plages, "
        "absences and RDVs ahead, 200 000 usagers, one year of RDVs in the small set and five in the national one "
        f"(statistics and export cover {YEAR[0]} → {YEAR[1]}: "
        f"{fmt(small.counts.get('year', 0))} RDVs).",
        "- Booking CPU per booking, by process (median of the rounds; utime + stime from /proc, read once the "
        "consumers have caught up): " + "; ".join(per_process) + f". Answers: {statuses}.",
        f"- {args.rounds} rounds, the two sets taking turns; créneaux {args.runs} searches per round, "
        f"{BOOKINGS} bookings per round, usager search {USAGER_QUERIES} queries per kind. Measured "
        f"{datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after (shared machine). `.venv/bin/python -m bench.scale"
        f"{f' --scale {args.scale:g}' if args.scale != 1 else ''}"
        f"{f' --rounds {args.rounds}' if args.rounds != 2 else ''}`",
    ]) + "\n\nPlans on the national set, the way before the fixes for scale and the way now (EXPLAIN (ANALYZE, " \
        "BUFFERS), second run; availability migration 0004, reporting migration 0003, usagers migration 0003):\n\n" \
        + "\n\n".join(figures["plans"]) + "\n"
    return text, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the issue's national counts (1.0: 2 000 organisations, 20 000 agents, "
                             "10 M RDVs, 3 M usagers)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=100, help="créneaux searches per round")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    sets: list[DataSet] = []
    try:
        sets.append(build("small", None, args.seed))
        sets.append(build("national", data.Shape().scaled(args.scale), args.seed))
        figures = measure(sets, args.rounds, args.runs)
        try:
            figures["plans"] = plans(sets[1])
        except Exception as exc:  # the figures stand without the plans
            figures["plans"] = [f"(plans not available: {exc!r:.300})"]
    finally:
        for ds in sets:
            ds.stop()
    text, ok = render(sets, figures, args, load_before)
    print()
    print(text)
    if not args.no_write:
        write_section("scale", "Scale: small vs national data set", text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
