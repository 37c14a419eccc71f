"""The record admin list over the bench inventory, as the bench organisation's DPO sees it.

    .venv/bin/python bench/admin_list.py [--repeat 5]        (after bench/generate.py)

Each page goes through django.test.Client (the whole middleware and admin stack, over "https"
as production redirects to it, no network): the SQL statements of one request are counted with
CaptureQueriesContext, the server time is the median of --repeat requests after a warm-up.
The table is vacuumed first, as autovacuum leaves it soon after a sweep.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Timer,
    bench_organisation,
    median_ms,
    report,
    setup_django,
    staff_client,
    vacuum_analyze,
)

TARGET_QUERIES = 12


def pages(organisation, total):
    from dpo_portal.register.models import System
    from retention.models import Record

    system = System.objects.get(organisation=organisation, code="cards")
    middle = Record.objects.filter(organisation=organisation).order_by("pk")[total // 2]
    return [
        ("first page", {}),
        ("status: due", {"status__exact": "due"}),
        ("system + status", {"system__id__exact": system.pk, "status__exact": "active"}),
        ("search by external id", {"q": middle.external_id}),
        ("page 200 (the last the capped count offers)", {"p": 200}),
    ]


def measure(client, params, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/admin/retention/record/"
    response = client.get(url, params, secure=True)  # warm-up
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params, secure=True)
    # Read now: the next request's request_started signal empties the connection's query log.
    queries = list(captured.captured_queries)
    samples = []
    for _ in range(repeat):
        with Timer() as timer:
            client.get(url, params, secure=True)
        samples.append(timer.seconds)
    slowest = max(queries, key=lambda query: float(query["time"]))
    # Rows of the result table: every <tr> but the header's.
    rows = response.content.split(b'id="result_list"', 1)[-1].count(b"<tr") - 1
    return {
        "queries": len(queries),
        "median_ms": median_ms(samples),
        "slowest_ms": round(float(slowest["time"]) * 1000, 1),
        "slowest_sql": " ".join(slowest["sql"].split())[:160],
        "rows": max(rows, 0),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--show-sql", action="store_true", help="print each page's slowest SQL")
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model

    organisation = bench_organisation()
    client = staff_client(get_user_model().objects.get(username="bench-dpo"))
    from retention.models import Record

    total = Record.objects.filter(organisation=organisation).count()
    # As autovacuum leaves the table shortly after a sweep: the sweep's UPDATEs leave dead
    # tuples and clear the visibility map, which makes the page count visit the heap.
    vacuum_analyze()
    rows = []
    for name, params in pages(organisation, total):
        result = measure(client, params, args.repeat)
        ok = "ok" if result["queries"] <= TARGET_QUERIES else "OVER TARGET"
        rows.append(
            (
                name,
                f"{result['queries']:2d} queries ({ok}), {result['median_ms']:7.1f} ms median, "
                f"slowest query {result['slowest_ms']} ms, {result['rows']} rows shown",
            )
        )
        if args.show_sql:
            rows.append(("", result["slowest_sql"]))
    report(
        f"record admin list, {total:,} records, as the DPO (median of {args.repeat})",
        [*rows, ("target", f"<= {TARGET_QUERIES} queries per page")],
    )


if __name__ == "__main__":
    main()
