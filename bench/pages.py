"""Server time and query count of every staff page, as the bench organisation's DPO sees them.

    .venv/bin/python bench/pages.py [--requests 100000] [--repeat 5]    (after bench/generate.py)

Adds what bench/generate.py does not make (once; a second run reuses it): --requests subject
requests set-based (bench/triage_search.py's generator), a few of them matched to a data subject
with records, and a hundred recipients. Each page goes through django.test.Client (the whole
middleware and admin stack, over "https", no network): the SQL statements of one request are
counted, the server time is the median of --repeat requests after a warm-up.

The baseline is the cheapest staff page (the password-change form: session, user, second factor,
admin template, no data), measured in the same loop; each page's time is printed next to it and
as a multiple of it, which stays comparable when the machine is loaded.
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
    scalar,
    setup_django,
    staff_client,
    vacuum_analyze,
)

TARGET_QUERIES = 12
TARGET_MS = 150
RECIPIENTS = 100
BASELINE_URL = "/admin/password_change/"


def prepare(organisation, dpo, requests):
    """The requests and recipients of the bench organisation, unless a previous run made them."""
    from bench.triage_search import generate
    from dpo_portal.register.models import DataSubject, Recipient
    from requests.models import SubjectRequest
    from retention.snapshots import take_snapshots

    if not SubjectRequest.objects.filter(organisation=organisation).exists():
        generate(organisation, requests, dpo)
        # The subject page shows a person's requests: give the first subjects a few each.
        subjects = list(
            DataSubject.objects.filter(organisation=organisation)
            .order_by("pk")
            .values_list("pk", flat=True)[:100]
        )
        for offset, subject_id in enumerate(subjects):
            SubjectRequest.objects.filter(
                pk__in=SubjectRequest.objects.filter(organisation=organisation)
                .order_by("pk")
                .values("pk")[offset * 3 : offset * 3 + 3]
            ).update(subject_id=subject_id)
    if not Recipient.objects.filter(organisation=organisation).exists():
        Recipient.objects.bulk_create(
            Recipient(
                organisation=organisation,
                code=f"bench-{n:03d}",
                name_en=f"Processor {n}",
                name_az=f"Prosessor {n}",
                category="processor",
                role="processor",
                country="AZ" if n % 4 else "DE",
            )
            for n in range(RECIPIENTS)
        )
    # The dashboard reads the evening's retention figures: take today's, as the evening does.
    take_snapshots()
    vacuum_analyze("requests_subjectrequest")


def pages(organisation):
    from dpo_portal.register.models import DataSubject
    from requests.models import SubjectRequest

    subject = DataSubject.objects.filter(organisation=organisation).order_by("pk").first()
    request = SubjectRequest.objects.filter(subject=subject).order_by("pk").first()
    return [
        ("dashboard", "/admin/", {}),
        ("triage queue", "/admin/requests/subjectrequest/", {}),
        ("triage queue, assigned to me", "/admin/requests/subjectrequest/", {"assignee": "me"}),
        ("triage queue, overdue", "/admin/requests/subjectrequest/", {"urgency": "overdue"}),
        ("request page", f"/admin/requests/subjectrequest/{request.pk}/change/", {}),
        ("record list", "/admin/retention/record/", {}),
        ("record list, page 200 (the last)", "/admin/retention/record/", {"p": 200}),
        ("subject list", "/admin/register/datasubject/", {}),
        ("subject page", f"/admin/register/datasubject/{subject.pk}/change/", {}),
        ("recipient register", "/admin/register/recipient/", {}),
    ]


def measure(client, url, params, repeat):
    """(queries, median seconds) of one page; the baseline page is timed between its runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, params, secure=True)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params, secure=True)
    # Read now: the next request's request_started signal empties the connection's query log.
    queries = list(captured.captured_queries)
    samples, baseline = [], []
    for _ in range(repeat):
        with Timer() as timer:
            client.get(url, params, secure=True)
        samples.append(timer.seconds)
        with Timer() as timer:
            client.get(BASELINE_URL, secure=True)
        baseline.append(timer.seconds)
    slowest = max(queries, key=lambda query: float(query["time"]))
    return {
        "queries": len(queries),
        "ms": median_ms(samples),
        "baseline_ms": median_ms(baseline),
        "slowest_ms": round(float(slowest["time"]) * 1000, 1),
        "slowest_sql": " ".join(slowest["sql"].split())[:200],
        "all": queries,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--show-sql", action="store_true", help="print each page's slowest SQL")
    parser.add_argument(
        "--show-queries", action="store_true", help="print every query of a page over target"
    )
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model

    organisation = bench_organisation()
    dpo = get_user_model().objects.get(username="bench-dpo")
    prepare(organisation, dpo, args.requests)
    records = scalar(
        "SELECT count(*) FROM retention_record WHERE organisation_id = %s", [organisation.pk]
    )
    requests = scalar(
        "SELECT count(*) FROM requests_subjectrequest WHERE organisation_id = %s",
        [organisation.pk],
    )
    client = staff_client(dpo)
    rows, over = [], 0
    for name, url, params in pages(organisation):
        result = measure(client, url, params, args.repeat)
        ok = result["queries"] <= TARGET_QUERIES and result["ms"] <= TARGET_MS
        over += not ok
        rows.append(
            (
                name,
                f"{result['queries']:2d} queries, {result['ms']:7.1f} ms "
                f"(baseline {result['baseline_ms']:5.1f} ms, "
                f"{result['ms'] / result['baseline_ms']:5.1f}x) {'ok' if ok else 'OVER TARGET'}, "
                f"slowest query {result['slowest_ms']} ms",
            )
        )
        if args.show_sql:
            rows.append(("", result["slowest_sql"]))
        if args.show_queries and not ok:
            for query in result["all"]:
                sql = " ".join(query["sql"].split())
                rows.append((f"  {float(query['time']) * 1000:6.1f} ms", sql[:160]))
    report(
        f"staff pages, {records:,} records, {requests:,} requests, as the DPO "
        f"(median of {args.repeat}; baseline: the password-change page, same loop)",
        [
            *rows,
            ("target", f"<= {TARGET_QUERIES} queries and <= {TARGET_MS} ms per page"),
            ("pages over target", str(over)),
        ],
    )


if __name__ == "__main__":
    main()
