"""What can be notified, over which channels, and the sample context each kind's template uses."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SUMMARY_READY = "summary_ready", _("Summary ready")
    QUIZ_GRADED = "quiz_graded", _("Quiz graded")
    QUIZ_READY = "quiz_ready", _("Quiz ready")
    GOAL_REMINDER = "goal_reminder", _("Study goal reminder")
    STREAK_AT_RISK = "streak_at_risk", _("Streak at risk")
    WEEKLY_DIGEST = "weekly_digest", _("Weekly study digest")
    PAYMENT_SUCCEEDED = "payment_succeeded", _("Payment succeeded")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    SUBSCRIPTION_RENEWING = "subscription_renewing", _("Subscription renewing")
    SUBSCRIPTION_CANCELLED = "subscription_cancelled", _("Subscription cancelled")
    ROOM_INVITATION = "room_invitation", _("Study room invitation")
    ANNOUNCEMENT = "announcement", _("Announcement")
    # Account mail (`accounts.mail`): sent by email only, rendered and sent in memory, never
    # stored as a notification (codes are secrets). See `services.account_mail`.
    EMAIL_VERIFICATION = "email_verification", _("Email verification code")
    PASSWORD_RESET = "password_reset", _("Password reset code")
    EMAIL_CHANGE_CODE = "email_change_code", _("Email change code")
    EMAIL_CHANGED_NOTICE = "email_changed_notice", _("Email changed notice")
    ACCOUNT_UNLOCK = "account_unlock", _("Account unlock code")
    ACCOUNT_DELETION_SCHEDULED = "account_deletion_scheduled", _("Account deletion scheduled")
    ACCOUNT_DELETED = "account_deleted", _("Account deleted")
    DATA_EXPORT_READY = "data_export_ready", _("Data export ready")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("Email")
    PUSH = "push", _("Push")
    SMS = "sms", _("SMS")


# Channels that wait for the end of the learner's quiet hours. In-app only reaches an app the
# learner has open right now, so it is never held back.
QUIET_CHANNELS = frozenset({Channel.EMAIL, Channel.PUSH, Channel.SMS})

# The channels a kind goes out on when the caller names none; preferences then filter them.
DEFAULT_CHANNELS: dict[str, tuple[Channel, ...]] = {
    Kind.SUMMARY_READY: (Channel.IN_APP, Channel.PUSH),
    Kind.QUIZ_GRADED: (Channel.IN_APP, Channel.PUSH, Channel.EMAIL),
    Kind.QUIZ_READY: (Channel.IN_APP, Channel.PUSH),
    Kind.GOAL_REMINDER: (Channel.IN_APP, Channel.PUSH, Channel.EMAIL),
    Kind.STREAK_AT_RISK: (Channel.IN_APP, Channel.PUSH),
    Kind.WEEKLY_DIGEST: (Channel.IN_APP, Channel.EMAIL),
    Kind.PAYMENT_SUCCEEDED: (Channel.IN_APP, Channel.EMAIL),
    Kind.PAYMENT_FAILED: (Channel.IN_APP, Channel.EMAIL, Channel.PUSH, Channel.SMS),
    Kind.SUBSCRIPTION_RENEWING: (Channel.IN_APP, Channel.EMAIL),
    Kind.SUBSCRIPTION_CANCELLED: (Channel.IN_APP, Channel.EMAIL),
    Kind.ROOM_INVITATION: (Channel.IN_APP, Channel.PUSH),
    Kind.ANNOUNCEMENT: (Channel.IN_APP, Channel.EMAIL, Channel.PUSH),
    # Through `notify` only data_export_ready may go (it carries a signed, expiring link, no
    # code); the account mail port sends the others by email and stores nothing.
    Kind.DATA_EXPORT_READY: (Channel.IN_APP, Channel.EMAIL),
}

# The kinds of account mail: the port sends them whatever the learner's preferences say
# (a learner who turned email off still gets a password reset code).
ACCOUNT_MAIL_KINDS = frozenset(
    {
        Kind.EMAIL_VERIFICATION,
        Kind.PASSWORD_RESET,
        Kind.EMAIL_CHANGE_CODE,
        Kind.EMAIL_CHANGED_NOTICE,
        Kind.ACCOUNT_UNLOCK,
        Kind.ACCOUNT_DELETION_SCHEDULED,
        Kind.ACCOUNT_DELETED,
        Kind.DATA_EXPORT_READY,
    }
)

# Bulk email: sent by schedule or by staff to many learners, not in answer to something the
# learner did. It carries List-Unsubscribe with RFC 8058 one-click (`links`), which turns email
# off for that kind. Everything else is transactional: results of the learner's own actions,
# payments, invitations and account mail (never bulk, never unsubscribable).
BULK_KINDS = frozenset(
    {Kind.GOAL_REMINDER, Kind.STREAK_AT_RISK, Kind.WEEKLY_DIGEST, Kind.ANNOUNCEMENT}
)

# What each kind's templates may use; the admin preview renders with these values.
SAMPLE_CONTEXT: dict[str, dict[str, object]] = {
    Kind.SUMMARY_READY: {"name": "Min", "summary_title": "Photosynthesis", "summary_id": 1},
    Kind.QUIZ_GRADED: {
        "name": "Min",
        "quiz_title": "Cell biology",
        "attempt_id": 1,
        "score": 8.5,
        "max_score": 10.0,
        "percentage": 85.0,
        "passed": True,
    },
    Kind.QUIZ_READY: {"name": "Min", "quiz_title": "Photosynthesis", "quiz_id": 1, "questions": 5},
    Kind.GOAL_REMINDER: {"name": "Min", "daily_goal_minutes": 30, "local_date": "2026-11-26"},
    Kind.STREAK_AT_RISK: {"name": "Min", "streak_days": 7, "local_date": "2026-11-26"},
    Kind.WEEKLY_DIGEST: {
        "name": "Min",
        "week_start": "2026-11-16",
        "week_end": "2026-11-22",
        "total_minutes": 240,
        "sessions": 9,
        "subjects": [{"name": "Biology", "minutes": 150}, {"name": "Math", "minutes": 90}],
    },
    Kind.PAYMENT_SUCCEEDED: {"name": "Min", "amount": "9.99", "currency": "USD", "plan": "Pro"},
    Kind.PAYMENT_FAILED: {"name": "Min", "amount": "9.99", "currency": "USD", "plan": "Pro"},
    Kind.SUBSCRIPTION_RENEWING: {"name": "Min", "plan": "Pro", "renews_on": "2026-12-01"},
    Kind.SUBSCRIPTION_CANCELLED: {"name": "Min", "plan": "Pro", "ends_on": "2026-12-01"},
    Kind.ROOM_INVITATION: {"name": "Min", "inviter": "Jisoo", "room_name": "Exam prep"},
    Kind.ANNOUNCEMENT: {"name": "Min", "title": "New feature", "message": "Try study rooms."},
    Kind.EMAIL_VERIFICATION: {"name": "Min", "code": "123456", "minutes": 15},
    Kind.PASSWORD_RESET: {"name": "Min", "code": "123456", "minutes": 15},
    Kind.EMAIL_CHANGE_CODE: {"name": "Min", "code": "123456", "minutes": 15},
    Kind.EMAIL_CHANGED_NOTICE: {"name": "Min", "new_email": "min.new@example.com"},
    Kind.ACCOUNT_UNLOCK: {"name": "Min", "code": "123456", "minutes": 15},
    Kind.ACCOUNT_DELETION_SCHEDULED: {"name": "Min", "deletion_date": "2026-12-08"},
    Kind.ACCOUNT_DELETED: {"name": "Min"},
    Kind.DATA_EXPORT_READY: {
        "name": "Min",
        "download_url": "https://api.studymate.example/api/auth/account/export/1/download/",
        "expires_at": "2026-12-08 09:00 KST",
    },
}
