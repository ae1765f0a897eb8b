"""Writing an RDV export: rows stream from a server-side cursor into xlsxwriter's constant-memory
mode, so memory stays flat whatever the number of RDVs. Runs in a worker thread (plain psycopg)."""
from __future__ import annotations

import contextlib
import os
import queue
import threading
from datetime import date
from pathlib import Path
from typing import Callable

import psycopg
import xlsxwriter

from services.reporting.adapters.scope_sql import scope_where
from services.reporting.domain.export_file import COLUMN_WIDTHS, COLUMNS, SHEET_DATE_FORMAT, SHEET_TIME_FORMAT
from services.reporting.domain.labels import notifications_label, origin_label, status_label
from services.reporting.domain.scope import RdvFilters, Viewer

FETCH_ROWS = 5000

# One row per RDV, every name joined here; dates and hours in the organisation's timezone, as spreadsheet
# serial numbers (days since 1899-12-30; a time is the fraction of its day), so that the cells are real dates
# and times that sort and filter as such, and PostgreSQL does the arithmetic once per row.
_DAY = "((%s)::date - date '1899-12-30')"
_TIME = "(extract(epoch from date_trunc('minute', %s)::time) / 86400.0)::float8"  # HH:MM, as shown
_CREATED = "(f.created_at at time zone %(tz)s)"
_STARTS = "(f.starts_at at time zone %(tz)s)"
_SELECT = f"""
select extract(year from {_STARTS})::int,
       {_DAY % _CREATED}, {_TIME % _CREATED},
       f.origin,
       {_DAY % _STARTS}, {_TIME % _STARTS},
       s.name, m.name, f.context,
       case when f.status = 'unknown' and f.starts_at >= %(tomorrow)s then 'a_venir'
            when f.status = 'unknown' then 'a_renseigner' else f.status end,
       l.name, ag.names, us.names, us.minor, n.sent, n.failed, us.births,
       nullif(trim(concat_ws(' ', cb.first_name, cb.last_name)), '')
from rdv_facts f
left join motifs m on m.id = f.motif_id
left join services s on s.id = coalesce(f.service_id, m.service_id)
left join lieux l on l.id = f.lieu_id
left join agents cb on cb.id = f.created_by
cross join lateral (
    select string_agg(coalesce(nullif(trim(concat_ws(' ', a.first_name, a.last_name)), ''), 'Agent inconnu'),
                      ', ' order by x.ord) as names
    from unnest(f.agent_ids) with ordinality as x(id, ord) left join agents a on a.id = x.id) ag
cross join lateral (
    select string_agg(case when u.anonymized then 'Usager anonymisé'
                           else coalesce(nullif(trim(concat_ws(' ', u.first_name, u.last_name)), ''),
                                         'Usager inconnu') end, ', ' order by x.ord) as names,
           coalesce(bool_or(u.birth_date > (f.starts_at at time zone %(tz)s)::date - interval '18 years'),
                    false) as minor,
           -- one cell holds one date: the first usager's (the one named first), as in the contract's column
           (array_agg(u.birth_date - date '1899-12-30' order by x.ord))[1] as births
    from unnest(f.usager_ids) with ordinality as x(id, ord) left join usagers u on u.id = x.id) us
cross join lateral (
    select count(*) filter (where rn.status = 'sent') as sent, count(*) filter (where rn.status = 'failed') as failed
    from rdv_notifications rn where rn.rdv_id = f.id) n
"""


def _chunks(dsn: str, sql: str, params: dict, size: int = FETCH_ROWS):
    """Yield lists of rows from a server-side cursor, fetched by a thread one chunk ahead, so that
    PostgreSQL computes the next chunk while this one is written (at most 2 chunks in memory)."""
    chunks: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            with psycopg.connect(dsn) as conn, conn.cursor(name="rdv_export") as cursor:
                cursor.execute(sql, params)
                while not stop.is_set():
                    rows = cursor.fetchmany(size)
                    chunks.put(rows)
                    if not rows:
                        return
        except BaseException as exc:  # handed over to the writing side
            chunks.put(exc)

    thread = threading.Thread(target=produce, name="export-fetch", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            chunks.get_nowait()  # unblock a producer waiting to put
        thread.join(timeout=10)


def _sheet(workbook):
    """The RDV sheet with its header row, and the formats of its date and time cells."""
    sheet = workbook.add_worksheet("RDV")
    bold = workbook.add_format({"bold": True})
    day_format = workbook.add_format({"num_format": SHEET_DATE_FORMAT})
    time_format = workbook.add_format({"num_format": SHEET_TIME_FORMAT})
    for col, (title, width) in enumerate(zip(COLUMNS, COLUMN_WIDTHS)):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, bold)
    return sheet, day_format, time_format


def write_rdv_export(*, dsn: str, viewer: Viewer, filters: RdvFilters, timezone: str, today: date,
                     organisation_name: str, path: Path,
                     on_progress: Callable[[int, int], None] | None = None) -> int:
    """Write the XLSX of the RDVs `viewer` can see among `filters` to `path`; return the row count."""
    where, params = scope_where(viewer=viewer, filters=filters, timezone=timezone, today=today)
    params["tz"] = timezone
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    rows = 0
    with psycopg.connect(dsn) as conn:
        total = conn.execute(f"select count(*) from rdv_facts f {where}", params).fetchone()[0]
    workbook = xlsxwriter.Workbook(str(partial), {"constant_memory": True, "tmpdir": str(path.parent),
                                                  "strings_to_numbers": False, "strings_to_formulas": False,
                                                  "strings_to_urls": False})
    try:
        sheet, day_format, time_format = _sheet(workbook)
        # the undecorated writers (row/col already numbers): the per-cell cost is what bounds the export
        write_string, write_number = sheet._write_string, sheet._write_number
        origins: dict = {}
        statuses: dict = {}
        notes: dict = {}
        for chunk in _chunks(dsn, _SELECT + where + " order by f.starts_at, f.id", params):
            for r in chunk:
                rows += 1
                origin = origins.get(r[3]) or origins.setdefault(r[3], origin_label(r[3]))
                status = statuses.get(r[9]) or statuses.setdefault(r[9], status_label(r[9]))
                note_key = (r[14], r[15])
                note = notes.get(note_key) or notes.setdefault(note_key, notifications_label(*note_key))
                created_by = r[17] or ("Usager (en ligne)" if r[3] == "usager" else "")
                # dates and times are serial numbers shown by their format (see _SELECT)
                write_number(rows, 0, r[0])
                write_number(rows, 1, r[1], day_format)
                write_number(rows, 2, r[2], time_format)
                write_number(rows, 4, r[4], day_format)
                write_number(rows, 5, r[5], time_format)
                if r[16] is not None:
                    write_number(rows, 16, r[16], day_format)
                for col, value in ((3, origin), (6, r[6]), (7, r[7]), (8, r[8]), (9, status), (10, r[10]),
                                   (11, r[11]), (12, r[12]), (13, "oui" if r[13] else "non"), (14, note),
                                   (15, organisation_name), (17, created_by)):
                    if value:
                        write_string(rows, col, value)
            if on_progress:
                on_progress(rows, total)
    finally:
        workbook.close()
    os.replace(partial, path)
    return rows
