"""Seeds the templates of every kind in Korean and English (kept if staff already made one)."""

from typing import Any

from django.db import migrations

from ._seed_templates import TEMPLATES


def seed(apps: Any, schema_editor: Any) -> None:
    template_model = apps.get_model("notifications", "NotificationTemplate")
    for fields in TEMPLATES:
        template_model.objects.get_or_create(
            kind=fields["kind"], language=fields["language"], defaults=fields
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    template_model = apps.get_model("notifications", "NotificationTemplate")
    for fields in TEMPLATES:
        template_model.objects.filter(kind=fields["kind"], language=fields["language"]).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
