"""Django core: apps, middleware, database, auth, i18n, static files."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .environment import BASE_DIR, env, read_bool, read_database, read_int, read_list

DEBUG = read_bool("DEBUG", default=True)

# Only ever used with DEBUG on; production refuses to start without its own SECRET_KEY.
_DEV_SECRET_KEY = "django-insecure-studymate-dev-only-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="") or _DEV_SECRET_KEY
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY: must be set when DEBUG is off")

ALLOWED_HOSTS = read_list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = read_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # django-allauth: the social providers and MFA (TOTP, recovery codes) behind our own
    # endpoints (accounts.services.social, accounts.services.mfa).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    # The sign-in providers (settings.accounts SOCIALACCOUNT_PROVIDERS): Google and Apple are
    # OpenID Connect apps, so their own allauth providers stay out (they would claim the ids).
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.kakao",
    "allauth.socialaccount.providers.naver",
    "corsheaders",
    "channels",
    "django_prometheus",
    "studymate_api.core",
    "accounts",
    "study",
    "quiz",
    "subscription",
    "notifications",
    "personalization",
    "realtime",
]

MIDDLEWARE = [
    # django-prometheus: first and last, so it times the whole stack and sees every response.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request id first: every later middleware's log lines and every response carry it.
    "studymate_api.observability.request_id.RequestIdMiddleware",
    # CORS before anything that can answer on its own (size limit, error envelope, redirects):
    # those answers need the CORS headers too, or the browser hides them from the web app.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "studymate_api.core.middleware.ApiErrorEnvelopeMiddleware",
    "studymate_api.security.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # allauth's request context, which its providers read while verifying a sign-in.
    "allauth.account.middleware.AccountMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "studymate_api.urls"
# A missing slash is a 404 in the envelope: a redirect would drop a POST body.
APPEND_SLASH = False
WSGI_APPLICATION = "studymate_api.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": read_database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out accounts before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Without collectstatic (the embedded default) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = read_bool("WHITENOISE_USE_FINDERS", default=DEBUG)
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
# Files the platform writes (data exports): MEDIA_ROOT on the file system, which the web and
# worker processes must share (docker-compose.yml mounts one volume into both). Never served
# from MEDIA_URL: every file goes out through a view that checks its signed, expiring link.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Django itself enforces this on form bodies; RequestSizeLimitMiddleware enforces it on every body.
DATA_UPLOAD_MAX_MEMORY_SIZE = read_int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# Proxies in front of the app that append to X-Forwarded-For (0: trust no header).
TRUSTED_PROXY_COUNT = read_int("TRUSTED_PROXY_COUNT", default=0)
