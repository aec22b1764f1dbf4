from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_account_deletion")]

    operations: list[migrations.operations.base.Operation] = []
