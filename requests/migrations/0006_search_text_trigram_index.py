"""A trigram index on the triage search text, on PostgreSQL (where "contains" becomes an index
scan); SQLite, the embedded default, has no such index and scans its smaller tables."""

from django.db import migrations

INDEX = "request_search_text_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON requests_subjectrequest "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def fill(apps, schema_editor):
    """Requests registered before the column existed get their search text."""
    from requests.models import SubjectRequest as Current

    SubjectRequest = apps.get_model("requests", "SubjectRequest")
    rows = list(SubjectRequest.objects.all())
    for row in rows:
        row.search_text = Current.search_text_for(row)
    SubjectRequest.objects.bulk_update(rows, ["search_text"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [('requests', '0005_lifecycle_intake_search_task_owner')]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create, drop),
    ]
