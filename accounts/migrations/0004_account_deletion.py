import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_sign_ins")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.CreateModel(
            name="AccountDeletion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("canceled", "Canceled"),
                            ("erasing", "Erasing"),
                            ("erased", "Erased"),
                        ],
                        default="scheduled",
                        max_length=16,
                        verbose_name="state",
                    ),
                ),
                (
                    "requested_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="requested at"
                    ),
                ),
                ("scheduled_for", models.DateTimeField(verbose_name="erased after")),
                (
                    "canceled_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="canceled at"),
                ),
                (
                    "erasure_started_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="erasure started at"),
                ),
                ("erasure_event_id", models.BigIntegerField(blank=True, null=True)),
                (
                    "erased_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="erased at"),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="deletion_requests",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "account deletion",
                "verbose_name_plural": "account deletions",
                "ordering": ("-requested_at", "-id"),
                "indexes": [
                    models.Index(
                        condition=models.Q(("state__in", ["scheduled", "erasing"])),
                        fields=["state", "scheduled_for"],
                        name="accountdeletion_due",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state__in", ["scheduled", "erasing"])),
                        fields=("user",),
                        name="accountdeletion_one_pending",
                    )
                ],
            },
        ),
    ]
