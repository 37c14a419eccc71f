"""Record import against PostgreSQL COPY of the same rows into the same table, in one process.

    .venv/bin/python bench/import_vs_copy.py [--rows N] [--repeat R]   (after bench/generate.py)

Three ways of putting the same N new records into the bench organisation's indexed inventory,
each timed from the file's bytes (or the resolved rows, for COPY) to the commit, and each undone
(DELETE, VACUUM, CHECKPOINT) before the next, interleaved R times; medians are printed:

- COPY: `COPY retention_record (...) FROM STDIN` of the rows already resolved (subject, system,
  category, activity ids, rule, expiry): the floor, what the database itself needs to write them;
- import: the file through run_job(), as the worker runs it (CSV parsing, every check, COPY into
  a temporary table, the SQL checks, INSERT ... SELECT ... ON CONFLICT DO UPDATE, progress, audit);
- row-by-row path of before: retention.imports' Python path (dictionaries, bulk_create ... ON
  CONFLICT in batches of 5,000), which SQLite still uses, on the same rows.

Target (issue 12): import time <= 2x COPY time, i.e. the import at >= 0.5x COPY's rows/s.
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Timer,
    bench_organisation,
    execute,
    report,
    setup_django,
    vacuum_analyze,
)
from bench.import_records import PREFIX, make_csv, run_import  # noqa: E402


def undo(organisation):
    execute(
        "DELETE FROM retention_record WHERE organisation_id = %s AND external_id LIKE %s",
        [organisation.pk, PREFIX + "%"],
    )
    vacuum_analyze()


def staged_rows(organisation, content):
    """The file's rows resolved by the import's own checks (not timed): what COPY is given."""
    from dpo_portal.jobs.imports import read_table
    from retention import imports

    header, table = read_table(content, "records.csv", expected=imports.COLUMNS)
    rows = [(number, dict(zip(header, cells, strict=False))) for number, cells in table]
    importer = imports.Importer(organisation)
    records = importer._build_in_python(rows)
    assert not importer.errors, importer.errors[:3]
    return records, rows


def copy_rows(records):
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    columns = (
        "organisation_id, subject_id, system_id, category_id, activity_id, external_id, "
        "collected_at, clock_started_at, expires_on, status, rule_id, disposal_action, "
        "created_at, updated_at"
    )
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY retention_record ({columns}) FROM STDIN") as copy:
            for r in records:
                copy.write_row(
                    (
                        r.organisation_id,
                        r.subject_id,
                        r.system_id,
                        r.category_id,
                        r.activity_id,
                        r.external_id,
                        r.collected_at,
                        r.clock_started_at,
                        r.expires_on,
                        "active",
                        r.rule_id,
                        "",
                        now,
                        now,
                    )
                )
    return timer.seconds


def row_by_row(organisation, rows):
    from retention import imports

    with Timer() as timer:
        importer = imports.Importer(organisation)
        records = importer._build_in_python(rows)
        importer._write_objects(records, None)
    return timer.seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model

    organisation = bench_organisation()
    user = get_user_model().objects.get(username="bench-dpo")
    content = make_csv(organisation, args.rows)
    records, rows = staged_rows(organisation, content)
    undo(organisation)
    times = {"copy": [], "import": [], "before": []}
    for _ in range(args.repeat):
        times["copy"].append(copy_rows(records))
        undo(organisation)
        times["import"].append(run_import(organisation, user, content))
        undo(organisation)
        times["before"].append(row_by_row(organisation, rows))
        undo(organisation)
    median = {name: statistics.median(values) for name, values in times.items()}

    def line(name):
        return f"{median[name]:.2f} s = {args.rows / median[name]:,.0f} rows/s"

    ratio = median["copy"] / median["import"]
    report(
        f"record import vs COPY: {args.rows:,} new records, medians of {args.repeat}",
        [
            ("COPY of the resolved rows", line("copy")),
            ("import (file -> COPY -> SQL checks -> INSERT)", line("import")),
            ("row-by-row path of before", line("before")),
            ("import / COPY speed", f"{ratio:.2f}x (target >= 0.5x)"),
            ("before / COPY speed", f"{median['copy'] / median['before']:.2f}x"),
        ],
    )
    print(f"RESULT import_vs_copy={ratio:.3f} rows={args.rows}")


if __name__ == "__main__":
    main()
