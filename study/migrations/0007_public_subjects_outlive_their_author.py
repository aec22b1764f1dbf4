"""A public subject outlives its author's erased account (other learners use it): the author link
becomes nullable, SET_NULL; private ones are erased with the account."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("study", "0006_drop_cqrs_read_models"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="subject",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="subjects",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
