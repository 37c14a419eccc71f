"""The access package for one person with --records records (default 10,000) in the bench data.

    .venv/bin/python bench/access_package.py [--records 10000] [--repeat 3]  (after generate.py)

Gives one bench subject that many records more (copies of other records, spread over the bench
systems and categories, set-based), then builds the package as the background job does
(requests.access.build_package: gathering, HTML, JSON, ZIP) in both languages. The baseline is
the floor for reading those records: one SELECT of their rows as tuples, in the same loop.
"""

import argparse
import io
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Timer,
    bench_organisation,
    execute,
    fetch,
    median_ms,
    report,
    scalar,
    setup_django,
)

TARGET_SECONDS = 1.0
PREFIX = "ACCESS-"


def prepare(organisation, count):
    """The subject with ``count`` records (made once; a second run reuses them)."""
    from dpo_portal.register.models import DataSubject
    from retention.models import Record

    subject = DataSubject.objects.filter(organisation=organisation).order_by("pk").first()
    have = Record.objects.filter(subject=subject, external_id__startswith=PREFIX).count()
    if have < count:
        columns = [
            f.column
            for f in Record._meta.concrete_fields
            if f.column not in {"id", "subject_id", "external_id"}
        ]
        names = ", ".join(columns)
        execute(
            f"INSERT INTO retention_record ({names}, subject_id, external_id) "
            f"SELECT {names}, %s, %s || id FROM retention_record "
            "WHERE organisation_id = %s AND status <> 'disposed' AND external_id NOT LIKE %s "
            "ORDER BY id LIMIT %s",
            [subject.pk, PREFIX, organisation.pk, PREFIX + "%", count - have],
        )
        execute("ANALYZE retention_record")
    return subject


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from requests import access

    organisation = bench_organisation()
    subject = prepare(organisation, args.records)
    held = scalar(
        "SELECT count(*) FROM retention_record WHERE subject_id = %s AND status <> 'disposed'",
        [subject.pk],
    )
    # No request row: pk None, so no system has exported anything for it.
    request = SimpleNamespace(pk=None, subject=subject, reference="BENCH-ACCESS")
    rows = []
    for language in ("az", "en"):
        with CaptureQueriesContext(connection) as captured:
            content, _facts = access.build_package(request, language=language)  # warm-up
        queries = len(captured.captured_queries)
        samples, baseline = [], []
        for _ in range(args.repeat):
            with Timer() as timer:
                content, facts = access.build_package(request, language=language)
            samples.append(timer.seconds)
            with Timer() as timer:
                fetch(
                    "SELECT * FROM retention_record WHERE organisation_id = %s AND subject_id = %s"
                    " AND status <> 'disposed'",
                    [organisation.pk, subject.pk],
                )
            baseline.append(timer.seconds)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            sizes = {i.filename: i.file_size for i in archive.infolist()}
        seconds = median_ms(samples) / 1000
        floor = median_ms(baseline) / 1000
        ok = "ok" if seconds <= TARGET_SECONDS else "OVER TARGET"
        rows.append(
            (
                f"package ({language})",
                f"{seconds:.2f} s ({ok}), {queries} queries; baseline (the rows, one SELECT) "
                f"{floor:.3f} s = {seconds / floor:.1f}x;"
                f" ZIP {len(content) // 1024} KB (HTML {sizes['access-package.html'] // 1024} KB,"
                f" JSON {sizes['access-package.json'] // 1024} KB)",
            )
        )
    report(
        f"access package, one person with {held:,} records in "
        f"{len(facts['records_by_system'])} systems (median of {args.repeat})",
        [*rows, ("target", f"<= {TARGET_SECONDS:.0f} s")],
    )


if __name__ == "__main__":
    main()
