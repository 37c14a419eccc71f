import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("register", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty when a scheduled job acted.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="by",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="target_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="contenttypes.contenttype",
                verbose_name="object type",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(
                db_index=True,
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="at",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(
                editable=False, null=True, verbose_name="no. in the chain"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(
                blank=True, max_length=64, verbose_name="hash of the previous event"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "organisation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="register.organisation",
                        verbose_name="organisation",
                    ),
                ),
                ("last_sequence", models.PositiveBigIntegerField(default=0, verbose_name="last no.")),
                ("last_hash", models.CharField(blank=True, max_length=64, verbose_name="last hash")),
                ("checked_at", models.DateTimeField(blank=True, null=True, verbose_name="last checked at")),
                ("checked_events", models.PositiveBigIntegerField(default=0, verbose_name="events checked")),
                ("broken_sequence", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="first broken link")),
                ("broken_event_id", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="broken event id")),
                ("broken_reason", models.CharField(blank=True, max_length=20, verbose_name="what is wrong")),
            ],
            options={"verbose_name": "audit chain", "verbose_name_plural": "audit chains"},
        ),
    ]
