"""The account lifecycle: email codes, verification, sign-ins, social sign-in, MFA, deletion and
export. Every value can be set from the environment."""

from __future__ import annotations

from .environment import env, read_bool, read_int, read_list

# --- email codes, verification and password reset ----------------------------------------------

# A mailed code: how long it works, and how many guesses it survives (every try counts, so a
# 6-digit code gives a guesser at most ACCOUNTS_CODE_MAX_ATTEMPTS in a million per code).
ACCOUNTS_CODE_TTL_MINUTES = read_int("ACCOUNTS_CODE_TTL_MINUTES", default=15, minimum=1)
ACCOUNTS_CODE_MAX_ATTEMPTS = read_int("ACCOUNTS_CODE_MAX_ATTEMPTS", default=5, minimum=1)
# Expired codes are deleted by beat (`accounts.purge_one_time_codes`), at most this many a run.
ACCOUNTS_CODE_PURGE_BATCH_SIZE = read_int("ACCOUNTS_CODE_PURGE_BATCH_SIZE", default=5000, minimum=1)
ACCOUNTS_CODES_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "accounts-purge-one-time-codes": {
        "task": "accounts.purge_one_time_codes",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
# What an account whose email is not verified may not do (`accounts.selectors.user_may`):
# "pay" (checkout, top-up), "invite" (others to study rooms); "none": nothing is held back.
ACCOUNTS_UNVERIFIED_MAY_NOT: tuple[str, ...] = tuple(
    action
    for action in read_list("ACCOUNTS_UNVERIFIED_MAY_NOT", default=["pay", "invite"])
    if action != "none"
)

# --- sign-ins and lockout ----------------------------------------------------------------------

# Ended sign-ins (and those idle past the refresh lifetime) are kept this long, then pruned by
# beat (`accounts.purge_sign_ins`).
ACCOUNTS_SIGN_INS_RETENTION_DAYS = read_int(
    "ACCOUNTS_SIGN_INS_RETENTION_DAYS", default=30, minimum=0
)
ACCOUNTS_SIGN_INS_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "accounts-purge-sign-ins": {
        "task": "accounts.purge_sign_ins",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
# Refresh tokens simplejwt tracks (OutstandingToken, and BlacklistedToken for the ended ones)
# are deleted by beat once expired (`accounts.purge_refresh_tokens`): an expired token is refused
# for its `exp` whether or not it is blacklisted. No setting: the refresh lifetime decides.
ACCOUNTS_TOKENS_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "accounts-purge-refresh-tokens": {
        "task": "accounts.purge_refresh_tokens",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
# Login attempts (LoginHistory) are the security audit trail: 180 days lets an account takeover
# noticed months later still be traced to its addresses and devices, the span audit practice
# asks of authentication logs; then beat deletes them (`accounts.purge_login_history`).
ACCOUNTS_LOGIN_HISTORY_RETENTION_DAYS = read_int(
    "ACCOUNTS_LOGIN_HISTORY_RETENTION_DAYS", default=180, minimum=1
)
ACCOUNTS_LOGIN_HISTORY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "accounts-purge-login-history": {
        "task": "accounts.purge_login_history",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    # Django's sessions (the admin's sign-ins) once expired (SESSION_COOKIE_AGE).
    "accounts-purge-expired-sessions": {
        "task": "accounts.purge_expired_sessions",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
# The lockout (accounts.lockout; AXES_* in security.py): an account that this many addresses or
# more have been locked out of within the cool-off is under attack, and every client needs an
# emailed unlock code (or a password reset) to sign in.
ACCOUNTS_LOCKOUT_ATTACK_CLIENTS = read_int("ACCOUNTS_LOCKOUT_ATTACK_CLIENTS", default=3, minimum=1)
# At most one unlock code is mailed per account within this many seconds (a new code kills the
# previous one, so resending faster would only race the owner reading the mail).
ACCOUNTS_UNLOCK_RESEND_SECONDS = read_int("ACCOUNTS_UNLOCK_RESEND_SECONDS", default=60, minimum=0)

# --- social sign-in ----------------------------------------------------------------------------

from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

# The mobile app signs in with the provider and sends us what it got (an ID token, an access
# token, or an authorization code with its PKCE verifier); django-allauth's providers verify it
# (accounts.services.social). Google, Apple and Kakao ID tokens go through allauth's
# `openid_connect` provider, whose server URL is the provider's issuer (each publishes OIDC
# discovery and JWKS there); Kakao and Naver access tokens through allauth's `kakao` and `naver`
# providers, which read the profile with them. A provider without its client id is off: its
# endpoint answers 503 `service_unavailable`.
#
# GOOGLE_CLIENT_ID, APPLE_CLIENT_ID, KAKAO_CLIENT_ID: the audiences an ID token may be issued to,
# comma-separated (web/server client id first: it also exchanges codes; then the iOS and Android
# client ids, Apple's bundle id and services id, Kakao's native app key). KAKAO_REST_API_KEY is
# Kakao's client id for codes and access tokens (and an accepted ID-token audience); KAKAO_APP_ID
# its numeric app id, which access tokens must have been issued to.
# GOOGLE_CLIENT_SECRET, KAKAO_CLIENT_SECRET, NAVER_CLIENT_ID/NAVER_CLIENT_SECRET as the consoles
# give them. Apple's code exchange signs its client secret with the team's key: APPLE_TEAM_ID,
# APPLE_KEY_ID, APPLE_PRIVATE_KEY (the .p8 PEM text). SOCIAL_<PROVIDER>_BASE_URL replaces every
# host of that provider with one server (local stand-ins in tests).

_SOCIAL_HOSTS = {
    "google": {"issuer": "https://accounts.google.com"},
    "apple": {"issuer": "https://appleid.apple.com"},
    "kakao": {"issuer": "https://kauth.kakao.com", "api": "https://kapi.kakao.com"},
    "naver": {"auth": "https://nid.naver.com", "api": "https://openapi.naver.com"},
}


def social_account_providers(values: Mapping[str, str]) -> dict[str, Any]:
    """allauth's SOCIALACCOUNT_PROVIDERS from environment-style `values` (tests pass their own).

    An OIDC provider with several audiences gets one app per client id, the first one visible
    and the others hidden: allauth then picks the app by the ID token's audience, and the
    visible one when no client id is given (code exchange)."""

    def value(name: str) -> str:
        return (values.get(name) or "").strip()

    def hosts(provider: str) -> dict[str, str]:
        variable = f"SOCIAL_{provider.upper()}_BASE_URL"
        base = value(variable).rstrip("/")
        if base and not base.startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"{variable}: expected an http(s):// URL, got {base!r}")
        return {role: base or url for role, url in _SOCIAL_HOSTS[provider].items()}

    def client_ids(name: str) -> list[str]:
        return [item.strip() for item in value(name).split(",") if item.strip()]

    def oidc_apps(provider_id: str, ids: list[str], **app: Any) -> list[dict[str, Any]]:
        server = {"server_url": hosts(provider_id.removesuffix("_oidc"))["issuer"]}
        return [
            {
                "provider_id": provider_id,
                "name": provider_id,
                "client_id": client_id,
                **app,
                "settings": {**server, **app.get("settings", {}), "hidden": index > 0},
            }
            for index, client_id in enumerate(ids)
        ]

    kakao_key = value("KAKAO_REST_API_KEY")
    kakao_ids = list(
        dict.fromkeys([*([kakao_key] if kakao_key else []), *client_ids("KAKAO_CLIENT_ID")])
    )
    apple_key = value("APPLE_PRIVATE_KEY").replace("\\n", "\n")
    oidc = [
        *oidc_apps("google", client_ids("GOOGLE_CLIENT_ID"), secret=value("GOOGLE_CLIENT_SECRET")),
        # Apple has no user-info endpoint: everything is in the ID token. `key` and `secret`
        # are what allauth's Apple client signs its client secret with (team id, key id).
        *oidc_apps(
            "apple",
            client_ids("APPLE_CLIENT_ID"),
            key=value("APPLE_TEAM_ID"),
            secret=value("APPLE_KEY_ID"),
            settings={"fetch_userinfo": False, "certificate_key": apple_key},
        ),
        # Its own provider id: "kakao" is allauth's Kakao provider (access tokens, codes).
        *oidc_apps("kakao_oidc", kakao_ids, settings={"fetch_userinfo": False}),
    ]
    kakao, naver = hosts("kakao"), hosts("naver")
    providers: dict[str, Any] = {
        "openid_connect": {"APPS": oidc},
        "kakao": {
            "ACCESS_TOKEN_URL": f"{kakao['issuer']}/oauth/token",
            "PROFILE_URL": f"{kakao['api']}/v2/user/me",
            # The app an access token was issued to must be ours (KAKAO_APP_ID, Kakao's numeric
            # app id); unset, the check is skipped.
            "TOKEN_INFO_URL": f"{kakao['api']}/v1/user/access_token_info",
            "APP_ID": value("KAKAO_APP_ID"),
            "APPS": (
                [{"client_id": kakao_key, "secret": value("KAKAO_CLIENT_SECRET")}]
                if kakao_key
                else []
            ),
        },
        "naver": {
            "ACCESS_TOKEN_URL": f"{naver['auth']}/oauth2.0/token",
            "PROFILE_URL": f"{naver['api']}/v1/nid/me",
            "APPS": (
                [{"client_id": value("NAVER_CLIENT_ID"), "secret": value("NAVER_CLIENT_SECRET")}]
                if value("NAVER_CLIENT_ID")
                else []
            ),
        },
    }
    return providers


SOCIALACCOUNT_PROVIDERS = social_account_providers(env.ENVIRON)
# allauth calls the providers with `requests`: seconds before a call gives up (503).
SOCIALACCOUNT_REQUESTS_TIMEOUT = read_int("SOCIAL_REQUESTS_TIMEOUT", default=5, minimum=1)
# Our service decides what links to what (accounts.services.social); allauth's own flows, which
# would link by email and store provider tokens, are not mounted.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
# allauth's account side, as our User is: email is the login, a unique username is required
# (social sign-up generates one), email verification is ours (accounts.services.verification).
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"

# --- MFA ---------------------------------------------------------------------------------------

# allauth.mfa supplies TOTP and recovery codes behind our endpoints (accounts.services.mfa); its
# adapter encrypts the stored secrets with a key derived from SECRET_KEY (and its fallbacks).
MFA_ADAPTER = "accounts.services.mfa.EncryptingMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER: str = env.str("MFA_TOTP_ISSUER", default="StudyMate")
# Steps either side of now that still count: 1 forgives a phone clock ~30 s off. A used code is
# refused for the whole window (allauth marks it in the cache).
MFA_TOTP_TOLERANCE = read_int("MFA_TOTP_TOLERANCE", default=1)
MFA_RECOVERY_CODE_COUNT = read_int("MFA_RECOVERY_CODE_COUNT", default=10, minimum=1)
# How long a started set-up waits for its confirming code.
ACCOUNTS_MFA_SETUP_SECONDS = read_int("ACCOUNTS_MFA_SETUP_SECONDS", default=15 * 60, minimum=60)
# The login's second step: how long an mfa_token lives and how many wrong codes it takes.
ACCOUNTS_MFA_LOGIN_TOKEN_SECONDS = read_int(
    "ACCOUNTS_MFA_LOGIN_TOKEN_SECONDS", default=5 * 60, minimum=30
)
ACCOUNTS_MFA_LOGIN_ATTEMPTS = read_int("ACCOUNTS_MFA_LOGIN_ATTEMPTS", default=5, minimum=1)
# Wrong second-factor codes per account (any mfa_token, any client) before every code is refused
# for the rest of the window: a password alone cannot buy unlimited guesses at a 6-digit code.
ACCOUNTS_MFA_FAILURE_LIMIT = read_int("ACCOUNTS_MFA_FAILURE_LIMIT", default=10, minimum=1)
ACCOUNTS_MFA_FAILURE_WINDOW_SECONDS = read_int(
    "ACCOUNTS_MFA_FAILURE_WINDOW_SECONDS", default=15 * 60, minimum=60
)
# Staff use the Django admin only with TOTP (set up on first sign-in); off for local dev.
ADMIN_MFA_REQUIRED = read_bool("ADMIN_MFA_REQUIRED", default=True)

# --- deletion ----------------------------------------------------------------------------------

# Days between a deletion request and the erasure; signing in and cancelling stops it meanwhile.
ACCOUNTS_DELETION_GRACE_DAYS = read_int("ACCOUNTS_DELETION_GRACE_DAYS", default=7, minimum=0)
# An account without a usable password (social sign-in only) proves itself by a sign-in that
# started within this many minutes.
ACCOUNTS_DELETION_RECENT_SIGN_IN_MINUTES = read_int(
    "ACCOUNTS_DELETION_RECENT_SIGN_IN_MINUTES", default=10, minimum=1
)
# How often beat looks for due erasures.
ACCOUNTS_DELETION_SWEEP_SECONDS = read_int(
    "ACCOUNTS_DELETION_SWEEP_SECONDS", default=900, minimum=10
)
ACCOUNTS_DELETION_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Accounts past their grace period are erased (`accounts.tasks.erase_due_accounts`).
    "accounts-erase-due-accounts": {
        "task": "accounts.erase_due_accounts",
        "schedule": float(ACCOUNTS_DELETION_SWEEP_SECONDS),
    },
}

# --- data export -------------------------------------------------------------------------------

# How long the link to a ready export works (and the file is kept); then the file is deleted.
ACCOUNTS_DATA_EXPORT_LINK_DAYS = read_int("ACCOUNTS_DATA_EXPORT_LINK_DAYS", default=7, minimum=1)
# One export per learner per this many hours while the last one is pending or ready (429 with
# Retry-After); a failed or expired one does not count.
ACCOUNTS_DATA_EXPORT_INTERVAL_HOURS = read_int(
    "ACCOUNTS_DATA_EXPORT_INTERVAL_HOURS", default=24, minimum=0
)
# Rows of expired and failed exports are kept this long after, then pruned.
ACCOUNTS_DATA_EXPORT_ROW_RETENTION_DAYS = read_int(
    "ACCOUNTS_DATA_EXPORT_ROW_RETENTION_DAYS", default=30, minimum=0
)
# Hard time limit of one build (seconds); the soft limit, a tenth earlier, marks it failed.
ACCOUNTS_DATA_EXPORT_TIME_LIMIT = read_int(
    "ACCOUNTS_DATA_EXPORT_TIME_LIMIT", default=600, minimum=10
)
# The files go to the default storage (STORAGES["default"], settings/django.py).
ACCOUNTS_DATA_EXPORT_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Expires ready exports past their link (deleting the file), re-enqueues stale builds and
    # prunes old rows.
    "accounts-sweep-data-exports": {
        "task": "accounts.sweep_data_exports",
        "schedule": 900.0,
        "options": {"expires": 900.0},
    },
}
