from typing import TypeVar

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from .caching import quizzes_invalidate_on_commit
from .models import Choice, Question, Quiz, QuizAttempt, UserAnswer

M = TypeVar("M", bound=Model)


class QuizCacheAdmin(admin.ModelAdmin[M]):
    """Admin writes bypass the services, so they invalidate the quiz's cached reads as the
    services do (after commit): a quiz made private here is hidden from others at once."""

    quiz_path = "pk"  # the lookup from this model to its quiz's id

    def _invalidate(self, objects: QuerySet[M]) -> None:
        for quiz_id in set(objects.values_list(self.quiz_path, flat=True)):
            quizzes_invalidate_on_commit(quiz_id)

    def save_model(self, request: HttpRequest, obj: M, form: ModelForm[M], change: bool) -> None:
        if change:  # the quiz it belonged to before the change, too
            self._invalidate(self.model._default_manager.filter(pk=obj.pk))
        super().save_model(request, obj, form, change)
        self._invalidate(self.model._default_manager.filter(pk=obj.pk))

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        self._invalidate(self.model._default_manager.filter(pk=obj.pk))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
        self._invalidate(queryset)
        super().delete_queryset(request, queryset)


class QuestionInline(admin.TabularInline[Question, Quiz]):
    model = Question
    fields = ("order", "question_type", "text", "points", "difficulty")
    extra = 0
    show_change_link = True


class ChoiceInline(admin.TabularInline[Choice, Question]):
    model = Choice
    fields = ("order", "text", "is_correct")
    extra = 0


class UserAnswerInline(admin.TabularInline[UserAnswer, QuizAttempt]):
    model = UserAnswer
    fields = ("question", "answer", "status", "is_correct", "score", "graded_by")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Quiz)
class QuizAdmin(QuizCacheAdmin[Quiz]):
    list_display = ("title", "owner", "subject", "difficulty", "is_public", "created_at")
    list_filter = ("is_public", "difficulty", "show_answers", "generation_status")
    search_fields = ("title", "owner__email", "subject__name")
    list_select_related = ("owner", "subject")
    raw_id_fields = ("owner", "subject")
    # Written by the AI generation only (`services.generation`).
    readonly_fields = ("generation_status", "generation_error_code", "generation_error")
    inlines = (QuestionInline,)


@admin.register(Question)
class QuestionAdmin(QuizCacheAdmin[Question]):
    quiz_path = "quiz_id"
    list_display = ("__str__", "quiz", "question_type", "points", "difficulty", "order")
    list_filter = ("question_type", "difficulty")
    search_fields = ("text", "quiz__title")
    list_select_related = ("quiz",)
    raw_id_fields = ("quiz",)
    inlines = (ChoiceInline,)


@admin.register(Choice)
class ChoiceAdmin(QuizCacheAdmin[Choice]):
    quiz_path = "question__quiz_id"
    list_display = ("text", "question", "is_correct", "order")
    list_filter = ("is_correct",)
    search_fields = ("text", "question__text")
    list_select_related = ("question",)
    raw_id_fields = ("question",)


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin[QuizAttempt]):
    list_display = ("__str__", "user", "quiz", "started_at", "finished_at", "percentage", "passed")
    list_filter = ("passed", "finished_at")
    search_fields = ("user__email", "quiz__title")
    list_select_related = ("user", "quiz")
    raw_id_fields = ("user", "quiz")
    date_hierarchy = "started_at"
    inlines = (UserAnswerInline,)


@admin.register(UserAnswer)
class UserAnswerAdmin(admin.ModelAdmin[UserAnswer]):
    list_display = ("__str__", "status", "is_correct", "score", "graded_by", "graded_at")
    list_filter = ("status", "graded_by", "is_correct")
    search_fields = ("attempt__user__email", "question__text")
    list_select_related = ("attempt", "question")
    raw_id_fields = ("attempt", "question")
