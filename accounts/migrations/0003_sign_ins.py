from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_one_time_codes")]

    operations: list[migrations.operations.base.Operation] = []
