from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_hash_existing_events")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, verbose_name="no. in the chain"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("organisation", "sequence"), name="audit_event_one_per_chain_link"
            ),
        ),
    ]
