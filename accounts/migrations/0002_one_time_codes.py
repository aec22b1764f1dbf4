import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="OneTimeCode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "purpose",
                    models.CharField(
                        choices=[
                            ("verify_email", "Verify email"),
                            ("reset_password", "Reset password"),
                            ("change_email", "Change email"),
                            ("unlock_account", "Unlock account"),
                        ],
                        max_length=32,
                        verbose_name="purpose",
                    ),
                ),
                ("email", models.CharField(max_length=254, verbose_name="email")),
                ("code_hash", models.CharField(max_length=64, verbose_name="code hash")),
                (
                    "attempts",
                    models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("expires_at", models.DateTimeField(db_index=True, verbose_name="expires at")),
                ("used_at", models.DateTimeField(blank=True, null=True, verbose_name="used at")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="one_time_codes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(fields=["purpose", "email"], name="onetimecode_purpose_email"),
                    models.Index(fields=["user", "purpose"], name="onetimecode_user_purpose"),
                ],
            },
        ),
    ]
