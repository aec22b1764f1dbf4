from django.urls import path

from . import apis
from .apis import deletion, export, mfa, sessions, social, verification

app_name = "accounts"

urlpatterns = [
    path("register/", apis.RegisterApi.as_view(), name="register"),
    path("login/", apis.LoginApi.as_view(), name="login"),
    path("refresh/", apis.RefreshApi.as_view(), name="refresh"),
    path("logout/", apis.LogoutApi.as_view(), name="logout"),
    path("profile/", apis.ProfileApi.as_view(), name="profile"),
    path("password/change/", apis.PasswordChangeApi.as_view(), name="password-change"),
    path("login-history/", apis.LoginHistoryApi.as_view(), name="login-history"),
    *verification.urlpatterns,
    *sessions.urlpatterns,
    *social.urlpatterns,
    *mfa.urlpatterns,
    *deletion.urlpatterns,
    *export.urlpatterns,
]
