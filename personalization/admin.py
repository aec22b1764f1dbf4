from django.contrib import admin

from .models import ItemDifficulty, LearnerAbility, LearnerSkillState, ProcessedAnswer


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
