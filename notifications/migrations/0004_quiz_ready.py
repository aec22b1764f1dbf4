"""The quiz_ready kind (an AI quiz generated in the background is ready) and its templates in
Korean and English (kept if staff already made one)."""

from typing import Any

from django.db import migrations, models

from ._seed_templates import QUIZ_READY_TEMPLATES

KIND_CHOICES = [
    ("summary_ready", "Summary ready"),
    ("quiz_graded", "Quiz graded"),
    ("quiz_ready", "Quiz ready"),
    ("goal_reminder", "Study goal reminder"),
    ("streak_at_risk", "Streak at risk"),
    ("weekly_digest", "Weekly study digest"),
    ("payment_succeeded", "Payment succeeded"),
    ("payment_failed", "Payment failed"),
    ("subscription_renewing", "Subscription renewing"),
    ("subscription_cancelled", "Subscription cancelled"),
    ("room_invitation", "Study room invitation"),
    ("announcement", "Announcement"),
    ("email_verification", "Email verification code"),
    ("password_reset", "Password reset code"),
    ("email_change_code", "Email change code"),
    ("email_changed_notice", "Email changed notice"),
    ("account_unlock", "Account unlock code"),
    ("account_deletion_scheduled", "Account deletion scheduled"),
    ("account_deleted", "Account deleted"),
    ("data_export_ready", "Data export ready"),
]


def seed(apps: Any, schema_editor: Any) -> None:
    template_model = apps.get_model("notifications", "NotificationTemplate")
    for fields in QUIZ_READY_TEMPLATES:
        template_model.objects.get_or_create(
            kind=fields["kind"], language=fields["language"], defaults=fields
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    template_model = apps.get_model("notifications", "NotificationTemplate")
    for fields in QUIZ_READY_TEMPLATES:
        template_model.objects.filter(kind=fields["kind"], language=fields["language"]).delete()


def _kind() -> models.CharField:  # type: ignore[type-arg]
    return models.CharField(choices=KIND_CHOICES, max_length=32, verbose_name="kind")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_account_templates")]

    operations = [
        migrations.AlterField(model_name="notification", name="kind", field=_kind()),
        migrations.AlterField(model_name="notificationbatch", name="kind", field=_kind()),
        migrations.AlterField(model_name="notificationtemplate", name="kind", field=_kind()),
        migrations.RunPython(seed, unseed),
    ]
