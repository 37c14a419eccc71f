"""Record import: 100,000 CSV rows through the real import path, into the bench organisation
(which already holds the generated records, so the unique index and the subject lookups work
at their real size).

    .venv/bin/python bench/import_records.py [--rows N]      (after bench/generate.py)

The job row is made as the admin's import page makes it (file bytes in the row) and run by the
same function the Celery task runs (dpo_portal.jobs.tasks.run_job, called in this process): CSV
parsing, validation of every row, subject and code lookups, rule and expiry, the batched
INSERT ... ON CONFLICT DO UPDATE, progress updates and the audit event. Timed twice: a first
import (inserts) and the same file again (every row an update). The imported rows are deleted
afterwards, so the inventory is back at its generated size.
"""

import argparse
import csv
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Timer,
    bench_organisation,
    execute,
    report,
    scalar,
    setup_django,
    vacuum_analyze,
)
from bench.generate import SYSTEMS  # noqa: E402

# (category, activity): like the generated inventory, fewer kinds; KYC rows may have a clock.
KINDS = [("txn", ""), ("txn", "loans"), ("kyc", ""), ("contact", ""), ("calls", "")]
PREFIX = "IMP-"


def make_csv(organisation, rows):
    from retention.imports import COLUMNS

    subjects = scalar(
        "SELECT count(*) FROM register_datasubject WHERE organisation_id = %s", [organisation.pk]
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(rows):
        category, activity = KINDS[n % len(KINDS)]
        # Years 2015-2024, so that a clock one year after collection has started (not future).
        year, month, day = 2015 + n % 10, 1 + n % 12, 1 + n % 28
        clock = f"{year + 1}-{month:02d}-{day:02d}" if category == "kyc" and n % 2 else ""
        writer.writerow(
            [
                organisation.slug,
                f"S{(n * 7) % subjects:09d}",
                "",
                SYSTEMS[n % len(SYSTEMS)],
                category,
                activity,
                f"{PREFIX}{n}",
                f"{year}-{month:02d}-{day:02d}",
                clock,
            ]
        )
    return out.getvalue().encode()


def run_import(organisation, user, content):
    from dpo_portal.jobs.models import Job
    from dpo_portal.jobs.tasks import run_job

    # The row start_job() makes, without handing it to Celery: it is run right here.
    job = Job.objects.create(
        kind="retention.import_records",
        organisation=organisation,
        started_by=user,
        parameters={"filename": "records.csv"},
        payload=content,
    )
    with Timer() as timer:
        run_job(job.pk)
    job.refresh_from_db()
    if job.status != Job.Status.DONE:
        sys.exit(f"bench: the import job failed: {job.message}")
    return timer.seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model

    organisation = bench_organisation()
    user = get_user_model().objects.get(username="bench-dpo")
    content = make_csv(organisation, args.rows)
    vacuum_analyze()
    first = run_import(organisation, user, content)
    imported = scalar(
        "SELECT count(*) FROM retention_record WHERE organisation_id = %s AND external_id LIKE %s",
        [organisation.pk, PREFIX + "%"],
    )
    again = run_import(organisation, user, content)
    execute(
        "DELETE FROM retention_record WHERE organisation_id = %s AND external_id LIKE %s",
        [organisation.pk, PREFIX + "%"],
    )
    vacuum_analyze()
    report(
        f"record import: {args.rows:,} CSV rows ({len(content) / 1e6:.1f} MB) through run_job",
        [
            ("first import (inserts)", f"{first:.1f} s = {args.rows / first:,.0f} rows/s"),
            ("same file again (updates)", f"{again:.1f} s = {args.rows / again:,.0f} rows/s"),
            ("records written", f"{imported:,}"),
            ("target", ">= 5,000 rows/s"),
        ],
    )


if __name__ == "__main__":
    main()
