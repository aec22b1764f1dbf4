"""Staff use the Django admin only with a second factor.

The admin's login form asks staff with TOTP for a code from their authenticator app (or a recovery
code) beside the password. Staff without TOTP who pass the password are taken to a set-up page
(QR code and secret, confirmed with a code; the recovery codes are shown once) and cannot open any
other admin page before it is done. What lets a session into the admin is the session's record of
the TOTP authenticator it was verified with, checked on every admin request: a session signed in
some other way (`Client.force_login`, the password alone, a session from before this) is asked
for a code first, and turning TOTP off (the API) shuts the admin to every session verified with it.

ADMIN_MFA_REQUIRED=false (local development) lets staff in on the password alone, as before;
staff who have set up TOTP are still asked for their code at login.

Wired on Django's default admin site by `admin_mfa_install` (AccountsConfig.ready): the site's
documented `login_form` and `login_template`, and its `has_permission`, `login` and `get_urls`
wrapped on the instance, so `studymate_api.urls` keeps mounting `admin.site` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from studymate_api.core.errors import ApplicationError

from .models import User
from .services import mfa

ADMIN_MFA_SESSION_KEY = "accounts.admin_mfa"
_VERIFIED_ATTRIBUTE = "_accounts_admin_mfa_verified"
_CHECKED_ATTRIBUTE = "_accounts_admin_mfa_checked"
_INSTALLED_ATTRIBUTE = "_accounts_admin_mfa_installed"

CODE_REQUIRED = _("Enter the code from your authenticator app.")


def admin_mfa_passed(request: HttpRequest) -> bool:
    """Whether this session has passed the admin's second factor (or none is required)."""
    if not settings.ADMIN_MFA_REQUIRED:
        return True
    user = request.user
    if not isinstance(user, User):
        return False
    marked = request.session.get(ADMIN_MFA_SESSION_KEY)
    checked: tuple[int, Any, bool] | None = getattr(request, _CHECKED_ATTRIBUTE, None)
    if checked is not None and checked[:2] == (user.pk, marked):
        return checked[2]  # asked twice per admin page: by the view's guard and the template
    passed = isinstance(marked, int) and mfa.totp_is_current(user=user, authenticator_id=marked)
    setattr(request, _CHECKED_ATTRIBUTE, (user.pk, marked, passed))
    return passed


def _admin_mfa_mark(request: HttpRequest, authenticator_id: int) -> None:
    request.session[ADMIN_MFA_SESSION_KEY] = authenticator_id


def _code_message(error: ApplicationError) -> str:
    if error.fields:
        return str(next(iter(error.fields.values()))[0])
    return str(error.message)


# --- forms -------------------------------------------------------------------------------------


class MfaAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form with the second factor: required of staff who have TOTP on."""

    otp_code = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=32,
        help_text=_("From your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        user = self.get_user()
        if not isinstance(user, User) or not mfa.mfa_enabled(user=user):
            return cleaned  # no TOTP: the set-up page comes next, where it is required
        code = cleaned.get("otp_code") or ""
        if not code:
            raise ValidationError(CODE_REQUIRED, code="otp_required")
        assert self.request is not None  # the admin passes it
        try:
            totp = mfa.second_factor_verify(request=self.request, user=user, code=code)
        except ApplicationError as error:
            raise ValidationError(_code_message(error), code="otp_invalid") from None
        setattr(self.request, _VERIFIED_ATTRIBUTE, totp.pk)
        return cleaned


class MfaCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Authenticator code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


# --- views -------------------------------------------------------------------------------------


def _staff_signed_in(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, User) and user.is_active and user.is_staff


def _next_url(request: HttpRequest, site: AdminSite) -> str:
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if wanted and safe else reverse("admin:index", current_app=site.name)


def _step_url(request: HttpRequest, site: AdminSite, user: User) -> str:
    """Where a signed-in staff member without the second factor goes: the code, or the set-up."""
    name = "admin:mfa_verify" if mfa.mfa_enabled(user=user) else "admin:mfa_setup"
    query = urlencode({REDIRECT_FIELD_NAME: _next_url(request, site)})
    return f"{reverse(name, current_app=site.name)}?{query}"


def _page(
    request: HttpRequest, site: AdminSite, template: str, title: Any, **context: Any
) -> TemplateResponse:
    request.current_app = site.name
    context = {
        **site.each_context(request),
        "title": title,
        "subtitle": None,
        REDIRECT_FIELD_NAME: _next_url(request, site),
        **context,
    }
    return TemplateResponse(request, f"admin/accounts/mfa/{template}", context)


def _verify_view(site: AdminSite) -> Callable[[HttpRequest], HttpResponse]:
    @never_cache
    @csrf_protect
    def verify(request: HttpRequest) -> HttpResponse:
        if not _staff_signed_in(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if admin_mfa_passed(request):
            return HttpResponseRedirect(_next_url(request, site))
        user = request.user
        assert isinstance(user, User)
        if not mfa.mfa_enabled(user=user):
            return HttpResponseRedirect(_step_url(request, site, user))
        form = MfaCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                totp = mfa.second_factor_verify(
                    request=request, user=user, code=form.cleaned_data["code"]
                )
            except ApplicationError as error:
                form.add_error("code", _code_message(error))
            else:
                _admin_mfa_mark(request, totp.pk)
                return HttpResponseRedirect(_next_url(request, site))
        return _page(request, site, "verify.html", _("Two-factor authentication"), form=form)

    return verify


def _setup_view(site: AdminSite) -> Callable[[HttpRequest], HttpResponse]:
    @never_cache
    @csrf_protect
    def setup(request: HttpRequest) -> HttpResponse:
        if not _staff_signed_in(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        user = request.user
        assert isinstance(user, User)
        if mfa.mfa_enabled(user=user):
            return HttpResponseRedirect(_step_url(request, site, user))
        form = MfaCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                totp, codes = mfa.totp_setup_confirm(user=user, code=form.cleaned_data["code"])
            except ApplicationError as error:
                form.add_error("code", _code_message(error))
            else:
                _admin_mfa_mark(request, totp.pk)
                title = _("Your recovery codes")
                return _page(request, site, "recovery_codes.html", title, recovery_codes=codes)
        started = mfa.totp_setup_begin(user=user, keep_pending=True)
        svg = started.qr_code_svg
        if svg.startswith("<?xml"):  # inline in the page: without its XML declaration
            svg = svg.split("?>", 1)[1]
        title = _("Set up two-factor authentication")
        return _page(request, site, "setup.html", title, form=form, setup=started, qr_svg=svg)

    return setup


def _sign_out_view(site: AdminSite) -> Callable[[HttpRequest], HttpResponse]:
    @never_cache
    @csrf_protect
    @require_POST
    def sign_out(request: HttpRequest) -> HttpResponse:
        """The admin's own logout needs admin access; this one serves the steps before it."""
        auth_logout(request)
        return HttpResponseRedirect(reverse("admin:login", current_app=site.name))

    return sign_out


# --- wiring ------------------------------------------------------------------------------------


def admin_mfa_install(site: AdminSite) -> None:
    """Puts the second factor in front of `site` (Django's default admin site), once."""
    if getattr(site, _INSTALLED_ATTRIBUTE, False):
        return
    setattr(site, _INSTALLED_ATTRIBUTE, True)
    site.login_form = MfaAdminAuthenticationForm
    site.login_template = "admin/accounts/mfa/login.html"
    base_has_permission = site.has_permission
    base_login = site.login
    base_get_urls = site.get_urls

    def has_permission(request: HttpRequest) -> bool:
        return base_has_permission(request) and admin_mfa_passed(request)

    def login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if _staff_signed_in(request) and not admin_mfa_passed(request):
            assert isinstance(request.user, User)
            return HttpResponseRedirect(_step_url(request, site, request.user))
        response = base_login(request, extra_context)
        verified: int | None = getattr(request, _VERIFIED_ATTRIBUTE, None)
        if verified is not None and _staff_signed_in(request):
            _admin_mfa_mark(request, verified)  # after auth's login(), which renews the session
        elif (
            request.method == "POST"
            and isinstance(request.user, User)
            and _staff_signed_in(request)
            and not admin_mfa_passed(request)
        ):  # the password of staff without TOTP: the set-up page comes next
            return HttpResponseRedirect(_step_url(request, site, request.user))
        return response

    def get_urls() -> list[URLPattern | URLResolver]:
        own: list[URLPattern | URLResolver] = [
            path("mfa/verify/", _verify_view(site), name="mfa_verify"),
            path("mfa/setup/", _setup_view(site), name="mfa_setup"),
            path("mfa/sign-out/", _sign_out_view(site), name="mfa_sign_out"),
        ]
        return own + base_get_urls()

    site.has_permission = has_permission  # type: ignore[method-assign]
    site.login = login  # type: ignore[method-assign]
    site.get_urls = get_urls  # type: ignore[method-assign]
