from django.contrib import admin

from .models import (
    ItemDifficulty,
    LearnerAbility,
    LearnerProfile,
    LearnerSkillState,
    ProcessedAnswer,
    ReviewCard,
    ReviewLog,
    ReviewParameters,
)


@admin.register(LearnerAbility)
class LearnerAbilityAdmin(admin.ModelAdmin[LearnerAbility]):
    list_display = ("user", "subject", "ability", "n", "updated_at")
    list_select_related = ("user", "subject")
    raw_id_fields = ("user", "subject")


@admin.register(LearnerSkillState)
class LearnerSkillStateAdmin(admin.ModelAdmin[LearnerSkillState]):
    list_display = ("user", "skill", "ability", "n_observations", "updated_at")
    list_select_related = ("user",)
    search_fields = ("skill",)
    raw_id_fields = ("user",)


@admin.register(ItemDifficulty)
class ItemDifficultyAdmin(admin.ModelAdmin[ItemDifficulty]):
    list_display = ("question", "difficulty", "n", "updated_at")
    raw_id_fields = ("question",)


@admin.register(ProcessedAnswer)
class ProcessedAnswerAdmin(admin.ModelAdmin[ProcessedAnswer]):
    list_display = ("answer_id", "processed_at")


@admin.register(ReviewCard)
class ReviewCardAdmin(admin.ModelAdmin[ReviewCard]):
    list_display = (
        "user",
        "kind",
        "question",
        "concept",
        "state",
        "due",
        "reps",
        "lapses",
        "suspended_at",
    )
    list_filter = ("kind", "state")
    list_select_related = ("user", "question")
    search_fields = ("concept",)
    raw_id_fields = ("user", "question", "summary", "subject")


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin[ReviewLog]):
    list_display = ("card", "rating", "source", "reviewed_at", "scheduled_due")
    list_filter = ("source", "rating")
    raw_id_fields = ("card",)


@admin.register(LearnerProfile)
class LearnerProfileAdmin(admin.ModelAdmin[LearnerProfile]):
    list_display = ("user", "observations", "evidence_at", "updated_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(ReviewParameters)
class ReviewParametersAdmin(admin.ModelAdmin[ReviewParameters]):
    list_display = ("user", "scored_ratings", "default_loss", "fitted_loss", "fitted_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
