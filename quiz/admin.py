from django.contrib import admin

from .models import Choice, Question, Quiz, QuizAttempt, UserAnswer


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
class QuizAdmin(admin.ModelAdmin[Quiz]):
    list_display = ("title", "owner", "subject", "difficulty", "is_public", "created_at")
    list_filter = ("is_public", "difficulty", "show_answers")
    search_fields = ("title", "owner__email", "subject__name")
    list_select_related = ("owner", "subject")
    raw_id_fields = ("owner", "subject")
    inlines = (QuestionInline,)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin[Question]):
    list_display = ("__str__", "quiz", "question_type", "points", "difficulty", "order")
    list_filter = ("question_type", "difficulty")
    search_fields = ("text", "quiz__title")
    list_select_related = ("quiz",)
    raw_id_fields = ("quiz",)
    inlines = (ChoiceInline,)


@admin.register(Choice)
class ChoiceAdmin(admin.ModelAdmin[Choice]):
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
