from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import LoginHistory, User, UserProfile
from .models.lifecycle import AccountDeletion, DataExport
from .models.sessions import SignIn

# Flags whose change takes effect on open sockets too (services.user_access_changed).
ACCESS_FIELDS = frozenset({"is_active", "is_staff"})


class UserProfileInline(admin.StackedInline[UserProfile, User]):
    model = UserProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    ordering = ("-date_joined",)
    list_display = ("email", "username", "is_active", "is_staff", "email_verified", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "email_verified", "date_joined")
    search_fields = ("email", "username", "first_name", "last_name")
    inlines = (UserProfileInline,)
    actions = ("unlock_accounts", "mark_email_verified")
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email_verified")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )

    def save_model(
        self, request: HttpRequest, obj: User, form: ModelForm[User], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        # The admin's change view runs in one transaction: the event commits with the flags.
        if change and ACCESS_FIELDS & set(form.changed_data):
            services.user_access_changed(user=obj)

    @admin.action(description=_("Unlock selected accounts (clear failed logins)"))
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.account_unlock(user=user)
        self.message_user(request, _("Accounts unlocked."), messages.SUCCESS)

    @admin.action(description=_("Mark the email of selected accounts as verified"))
    def mark_email_verified(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # Support's answer to "the code never arrives" once the address is checked otherwise.
        marked = queryset.filter(email_verified=False).update(email_verified=True)
        self.message_user(
            request, _("%(count)d accounts marked verified.") % {"count": marked}, messages.SUCCESS
        )


@admin.register(LoginHistory)
class LoginHistoryAdmin(admin.ModelAdmin[LoginHistory]):
    list_display = ("created_at", "email", "user", "success", "failure_reason", "ip_address")
    list_filter = ("success", "failure_reason", "created_at")
    search_fields = ("email", "ip_address", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in LoginHistory._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoginHistory | None = None) -> bool:
        return False


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin[UserProfile]):
    list_display = ("user", "grade_level", "timezone", "preferred_language", "updated_at")
    list_filter = ("preferred_language", "grade_level")
    search_fields = ("user__email", "user__username", "bio")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin[DataExport]):
    """Read-only: exports are asked for by the learner and built by a task; the file is only
    reachable through the learner's signed link."""

    list_display = ("id", "user", "status", "size", "created_at", "completed_at", "expires_at")
    list_filter = ("status", "created_at")
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    # The file is not shown: it is served only through the learner's signed link.
    readonly_fields = [f.name for f in DataExport._meta.fields if f.name != "file"]
    exclude = ("file",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DataExport | None = None) -> bool:
        return False


@admin.register(SignIn)
class SignInAdmin(admin.ModelAdmin[SignIn]):
    """Read-only, with one action: support ends a sign-in as the learner's sessions page does."""

    list_display = ("user", "device", "ip_address", "created_at", "last_used_at", "ended_at")
    list_filter = ("created_at", "ended_at")
    search_fields = ("user__email", "ip_address", "device")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in SignIn._meta.fields]
    actions = ("end_sign_ins",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SignIn | None = None) -> bool:
        return False

    @admin.action(description=_("End selected sign-ins (their tokens and sockets too)"))
    def end_sign_ins(self, request: HttpRequest, queryset: QuerySet[SignIn]) -> None:
        for sign_in in queryset.filter(ended_at__isnull=True).select_related("user"):
            services.sign_in_revoke(user=sign_in.user, sid=sign_in.sid)
        self.message_user(request, _("Sign-ins ended."), messages.SUCCESS)


@admin.register(AccountDeletion)
class AccountDeletionAdmin(admin.ModelAdmin[AccountDeletion]):
    """Read-only: the learner requests and cancels (`services.deletion`), beat erases. An erased
    row keeps no user: it only records that, and when, an erasure happened."""

    list_display = ("id", "user", "state", "requested_at", "scheduled_for", "erased_at")
    list_filter = ("state",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    readonly_fields = [f.name for f in AccountDeletion._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: AccountDeletion | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: AccountDeletion | None = None
    ) -> bool:
        return False
