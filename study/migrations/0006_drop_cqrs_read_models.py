# The /api/cqrs/ reads come from the study tables through the study selectors; the projections
# that filled these read models are gone.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("study", "0005_studysummary_content_hash"),
    ]

    operations = [
        migrations.DeleteModel(name="ProgressView"),
        migrations.DeleteModel(name="StudyAnalyticsView"),
        migrations.DeleteModel(name="StudyDailyMinutesView"),
        migrations.DeleteModel(name="SummaryView"),
    ]
