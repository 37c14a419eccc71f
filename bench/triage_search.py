"""The triage queue with 100,000 subject requests, searched as a DPO on the phone searches it.

    tests/services.sh .venv/bin/python bench/triage_search.py [--requests 100000] [--repeat 5]

Migrates the database at DATABASE_URL, then writes the requests set-based (one INSERT ... SELECT
over generate_series: names with Azerbaijani letters, FINs, phones, e-mails; the search text
computed in SQL the way SubjectRequest.search_text_for() folds it). Each page goes through
django.test.Client (the whole middleware and admin stack): the SQL statements of one request
are counted, the server time is the median of --repeat requests after a warm-up.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Timer,
    execute,
    median_ms,
    report,
    scalar,
    setup_django,
    staff_client,
)

TARGET_QUERIES = 15
TARGET_MS = 150
SLUG = "bench-triage"
FIRST = [
    "Aysel",
    "Leyla",
    "Şəfiqə",
    "Gülnarə",
    "Kamran",
    "Rəşad",
    "Elçin",
    "Günay",
    "Tural",
    "Nigar",
]
LAST = [
    "Məmmədova",
    "Həsənov",
    "Əliyeva",
    "Quliyev",
    "Hüseynova",
    "Çələbiyev",
    "Rüstəmov",
    "Şirinova",
    "Ağayev",
    "Kərimli",
    "Bağırova",
    "Zeynalov",
    "Sadıqova",
    "Nəsirli",
    "Qasımov",
    "Öztürk",
]
# FIN alphabet: digits and Latin capitals without I and O.
FIN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def generate(organisation, count, dpo):
    """One INSERT ... SELECT: request n gets a name, a FIN, a phone and an e-mail of its own."""
    from django.db import connection
    from django.utils import timezone

    first = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST) + "]"
    last = "ARRAY[" + ",".join(f"'{n}'" for n in LAST) + "]"
    base = len(FIN_ALPHABET)
    fin = " || ".join(
        f"substr('{FIN_ALPHABET}', ((n / {base**i})::int % {base}) + 1, 1)" for i in range(7)
    )
    year = timezone.localdate().year
    sql = f"""
    WITH rows AS (
      SELECT n,
             ({first})[1 + n % {len(FIRST)}] || ' ' || ({last})[1 + (n / 7) % {len(LAST)}]
               AS name,
             {fin} AS fin,
             '+99450' || lpad((n % 10000000)::text, 7, '0') AS phone,
             'person' || n || '@example.az' AS email,
             'DSR-{year}-' || lpad(n::text, greatest(5, length(n::text)), '0') AS reference
      FROM generate_series(1, %s) AS n
    )
    INSERT INTO requests_subjectrequest (
      organisation_id, created_at, updated_at, reference, kind, channel, received_at,
      requester_name, requester_email, requester_phone, requester_fin, requester_id_document,
      requester_address, details, registered_late_reason, search_text, identity_status,
      identity_method, assignee_id, status, due_on, extended, extension_reason, outcome_reason,
      refusal_ground, lateness_note, no_data_held, closed_at, requester_account_id
    )
    SELECT %s, now(), now(), reference,
           (ARRAY['deletion','access','correction','existence'])[1 + n % 4], 'email',
           now() - ((n % 60) || ' days')::interval,
           name, email, phone, fin, '', '', '', '',
           translate(lower(reference || ' | ' || name || ' | ' || email || ' | ' ||
                     substr(phone, 2) || ' | 0' || substr(phone, 5) || ' | ' || fin),
                     'əışçğöü', 'eiscgou'),
           'pending', '', CASE WHEN n % 3 = 0 THEN %s END,
           CASE WHEN n % 5 = 0 THEN 'completed' ELSE 'in_progress' END,
           current_date + (n % 30 - 10), false, '', '', '', '', false,
           CASE WHEN n % 5 = 0 THEN now() END, ''
    FROM rows
    """
    with connection.cursor() as cursor:
        # The modulo operator, escaped from the driver's %s placeholders.
        cursor.execute(sql.replace(" % ", " %% "), [count, organisation.pk, dpo.pk])
    execute("VACUUM (ANALYZE) requests_subjectrequest")


def measure(client, params, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/admin/requests/subjectrequest/"
    response = client.get(url, params, secure=True)  # warm-up
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params, secure=True)
    queries = list(captured.captured_queries)
    samples = []
    for _ in range(repeat):
        with Timer() as timer:
            client.get(url, params, secure=True)
        samples.append(timer.seconds)
    rows = response.content.split(b'id="result_list"', 1)[-1].count(b"<tr") - 1
    slowest = max(queries, key=lambda query: float(query["time"]))
    return {
        "queries": len(queries),
        "median_ms": median_ms(samples),
        "slowest_ms": round(float(slowest["time"]) * 1000, 1),
        "slowest_sql": " ".join(slowest["sql"].split())[:200],
        "rows": max(rows, 0),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from dpo_portal.register.models import Membership, Organisation, Role

    call_command("migrate", verbosity=0, interactive=False)
    organisation, _ = Organisation.objects.get_or_create(
        slug=SLUG, defaults={"name": "Bench triage MMC"}
    )
    dpo, _ = get_user_model().objects.get_or_create(username="bench-triage-dpo")
    Membership.objects.get_or_create(user=dpo, organisation=organisation, role=Role.DPO)
    existing = scalar(
        "SELECT count(*) FROM requests_subjectrequest WHERE organisation_id = %s", [organisation.pk]
    )
    with Timer() as timer:
        if existing < args.requests:
            execute(
                "DELETE FROM requests_subjectrequest WHERE organisation_id = %s", [organisation.pk]
            )
            generate(organisation, args.requests, dpo)
    total = scalar(
        "SELECT count(*) FROM requests_subjectrequest WHERE organisation_id = %s", [organisation.pk]
    )
    sample_fin = scalar(
        "SELECT requester_fin FROM requests_subjectrequest WHERE organisation_id = %s "
        "ORDER BY id OFFSET %s LIMIT 1",
        [organisation.pk, total // 2],
    )
    client = staff_client(dpo)
    pages = [
        ("open queue, first page", {}),
        ("name fragment 'celebiy' (as typed, no az letters)", {"q": "celebiy", "state": "all"}),
        ("name fragment 'Şəfiqə Məmməd'", {"q": "Şəfiqə Məmməd", "state": "all"}),
        (f"FIN '{sample_fin.lower()}'", {"q": sample_fin.lower(), "state": "all"}),
        ("phone '050 000 42 17'", {"q": "050 000 42 17", "state": "all"}),
        ("partial reference '04217'", {"q": "04217", "state": "all"}),
    ]
    rows = [("generated", f"{total:,} requests in {timer.seconds:.1f} s (set-based)")]
    from requests.admin import search_condition
    from requests.models import SubjectRequest

    for name, params in pages:
        result = measure(client, params, args.repeat)
        mine = SubjectRequest.objects.filter(organisation=organisation)
        result["total"] = (
            mine.filter(search_condition(params["q"])) if "q" in params else mine.open()
        ).count()
        ok = (
            "ok"
            if result["queries"] <= TARGET_QUERIES and result["median_ms"] <= TARGET_MS
            else "OVER TARGET"
        )
        rows.append(
            (
                name,
                f"{result['queries']:2d} queries, {result['median_ms']:7.1f} ms median ({ok}), "
                f"slowest query {result['slowest_ms']} ms, {result['total']:,} found, "
                f"{result['rows']} shown",
            )
        )
        if args.show_sql:
            rows.append(("", result["slowest_sql"]))
    report(
        f"triage queue, {total:,} requests, as the DPO (median of {args.repeat})",
        [*rows, ("target", f"<= {TARGET_QUERIES} queries and <= {TARGET_MS} ms per page")],
    )


if __name__ == "__main__":
    main()
