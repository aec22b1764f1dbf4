from django.contrib import admin

from .models import StudyGoal, StudyLog, StudyProgress, StudySettings, StudySummary, Subject


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin[Subject]):
    list_display = ("name", "category", "difficulty_level", "is_public", "created_by", "created_at")
    list_filter = ("is_public", "difficulty_level", "category")
    search_fields = ("name", "description", "created_by__email")
    list_select_related = ("created_by",)
    raw_id_fields = ("created_by",)


@admin.register(StudySummary)
class StudySummaryAdmin(admin.ModelAdmin[StudySummary]):
    list_display = (
        "__str__",
        "user",
        "subject",
        "summary_type",
        "status",
        "provider",
        "tokens_used",
        "created_at",
    )
    list_filter = ("status", "summary_type", "provider")
    search_fields = ("title", "user__email", "subject__name")
    list_select_related = ("user", "subject")
    raw_id_fields = ("user", "subject")
    readonly_fields = ("claimed_at", "created_at", "completed_at")
    date_hierarchy = "created_at"


@admin.register(StudyProgress)
class StudyProgressAdmin(admin.ModelAdmin[StudyProgress]):
    list_display = (
        "user",
        "subject",
        "total_study_minutes",
        "sessions_count",
        "completion_percentage",
        "streak_days",
        "last_studied_at",
    )
    list_filter = ("last_studied_at",)
    search_fields = ("user__email", "subject__name")
    list_select_related = ("user", "subject")
    raw_id_fields = ("user", "subject")


@admin.register(StudyLog)
class StudyLogAdmin(admin.ModelAdmin[StudyLog]):
    list_display = ("user", "subject", "minutes", "local_date", "studied_at")
    list_filter = ("local_date",)
    search_fields = ("user__email", "subject__name")
    list_select_related = ("user", "subject")
    raw_id_fields = ("user", "subject")
    date_hierarchy = "studied_at"


@admin.register(StudyGoal)
class StudyGoalAdmin(admin.ModelAdmin[StudyGoal]):
    list_display = (
        "title",
        "user",
        "subject",
        "target_minutes",
        "logged_minutes",
        "status",
        "target_date",
    )
    list_filter = ("status", "target_date")
    search_fields = ("title", "user__email", "subject__name")
    list_select_related = ("user", "subject")
    raw_id_fields = ("user", "subject")


@admin.register(StudySettings)
class StudySettingsAdmin(admin.ModelAdmin[StudySettings]):
    list_display = (
        "user",
        "daily_goal_minutes",
        "preferred_difficulty",
        "preferred_ai_provider",
        "pomodoro_minutes",
    )
    list_filter = ("preferred_difficulty", "preferred_ai_provider")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
