from django.contrib import admin

from .models import Subject


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin[Subject]):
    list_display = ("name", "category", "difficulty_level", "is_public", "created_by", "created_at")
    list_filter = ("is_public", "difficulty_level", "category")
    search_fields = ("name", "description", "created_by__email")
    list_select_related = ("created_by",)
    raw_id_fields = ("created_by",)
