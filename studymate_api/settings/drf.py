"""Django REST framework, simplejwt and drf-spectacular."""

from __future__ import annotations

from datetime import timedelta

from .environment import read_int, read_rate

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's, plus the sign-in check: a signed-out access token is refused at once.
        "accounts.authentication.AccessTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["studymate_api.core.parsers.DepthSafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "studymate_api.core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "studymate_api.core.throttling.AnonThrottle",
        "studymate_api.core.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": read_rate("THROTTLE_ANON_RATE", default="120/min"),
        "user": read_rate("THROTTLE_USER_RATE", default="600/min"),
        "login": read_rate("THROTTLE_LOGIN_RATE", default="20/min"),
        "register": read_rate("THROTTLE_REGISTER_RATE", default="10/min"),
        "mfa": read_rate("THROTTLE_MFA_RATE", default="30/min"),
        "room_invite": read_rate("THROTTLE_ROOM_INVITE_RATE", default="30/hour"),
        # Mailed codes (accounts.apis.verification): sends per account, per client and per
        # address; codes tried per client.
        "email_verify_resend": read_rate("THROTTLE_EMAIL_VERIFY_RESEND_RATE", default="5/hour"),
        "email_change": read_rate("THROTTLE_EMAIL_CHANGE_RATE", default="5/hour"),
        "password_reset": read_rate("THROTTLE_PASSWORD_RESET_RATE", default="10/hour"),
        "password_reset_address": read_rate(
            "THROTTLE_PASSWORD_RESET_ADDRESS_RATE", default="5/hour"
        ),
        "code_confirm": read_rate("THROTTLE_CODE_CONFIRM_RATE", default="30/hour"),
        # Account deletion requests per account (each checks the password).
        "account_delete": read_rate("THROTTLE_ACCOUNT_DELETE_RATE", default="10/hour"),
    },
    "NUM_PROXIES": None,
    "EXCEPTION_HANDLER": "studymate_api.core.exception_handler.render_exception",
    "DEFAULT_SCHEMA_CLASS": "studymate_api.core.schema.EnvelopeAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
}

SIMPLE_JWT = {
    # Also how long a signed-out sign-in is remembered (accounts.tokens). Shorter in tests that
    # watch a socket outlive its token.
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=read_int("ACCESS_TOKEN_LIFETIME_SECONDS", default=15 * 60, minimum=1)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a hash of the password: changing it invalidates every access token at once.
    "CHECK_REVOKE_TOKEN": True,
    "REVOKE_TOKEN_CLAIM": "hash_password",
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "StudyMate API",
    "DESCRIPTION": (
        "Backend of the StudyMate personalized learning platform. Every error uses the envelope "
        '`{"error": {"code", "message", "fields"}}`.\n\n'
        "The WebSockets (`/ws/learning/analytics/`, `/ws/study/room/{room_id}/`, "
        "`/ws/system/monitoring/`) are described by an AsyncAPI 3 document: "
        "[/api/asyncapi/](/api/asyncapi/) to read, "
        "[/api/asyncapi.json](/api/asyncapi.json) for tools."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    # 3.1: nullable fields as JSON Schema type unions, which generators understand.
    "OAS_VERSION": "3.1.0",
    "DEFAULT_GENERATOR_CLASS": "studymate_api.core.schema.EnglishSchemaGenerator",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "studymate_api.core.schema.nullable_as_type_unions",
        "studymate_api.core.schema.component_names_are_distinct",
    ],
}
