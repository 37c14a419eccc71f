from django.db import migrations

from dpo_portal.legal.shipped import load


class Migration(migrations.Migration):
    """Ships Law 998-IIIQ (2010) and the GDPR with today's figures, their references and the
    state registration rule. Creates only what is missing: an edited row stays as it is."""

    dependencies = [("legal", "0001_regimes_references_calendar")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
