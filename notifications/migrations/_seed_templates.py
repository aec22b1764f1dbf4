"""The first words of every kind in Korean and English; staff edit them in the admin after."""

from __future__ import annotations

_HTML = (
    '<div style="font-family:sans-serif;max-width:560px">'
    "<h2>{title}</h2>{body}"
    '<p style="color:#888;font-size:12px">StudyMate</p></div>'
)


def _html(title: str, body: str) -> str:
    return _HTML.format(title=title, body=body)


TEMPLATES: list[dict[str, str]] = [
    # --- summary ready
    {
        "kind": "summary_ready",
        "language": "en",
        "subject": "Your summary “{{ summary_title }}” is ready",
        "text_body": "Hi {{ name }},\n\nThe AI summary “{{ summary_title }}” is ready to read.",
        "html_body": _html(
            "Your summary is ready",
            "<p>Hi {{ name }},</p><p>The AI summary <strong>{{ summary_title }}</strong> is "
            "ready to read.</p>",
        ),
        "push_body": "“{{ summary_title }}” is ready to read.",
        "sms_body": "StudyMate: your summary “{{ summary_title }}” is ready.",
    },
    {
        "kind": "summary_ready",
        "language": "ko",
        "subject": "요약 “{{ summary_title }}”이(가) 준비되었습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\nAI 요약 “{{ summary_title }}”을(를) 지금 읽을 수 있습니다.",
        "html_body": _html(
            "요약이 준비되었습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>AI 요약 <strong>{{ summary_title }}</strong>을(를) "
            "지금 읽을 수 있습니다.</p>",
        ),
        "push_body": "“{{ summary_title }}” 요약을 읽어 보세요.",
        "sms_body": "StudyMate: 요약 “{{ summary_title }}”이(가) 준비되었습니다.",
    },
    # --- quiz graded
    {
        "kind": "quiz_graded",
        "language": "en",
        "subject": "“{{ quiz_title }}” has been graded",
        "text_body": "Hi {{ name }},\n\nYour answers to “{{ quiz_title }}” have been graded: "
        "{{ score|floatformat }} of {{ max_score|floatformat }} points ({{ percentage|floatformat }}%)."
        "{% if passed %} You passed.{% endif %}",
        "html_body": _html(
            "Your quiz has been graded",
            "<p>Hi {{ name }},</p><p><strong>{{ quiz_title }}</strong>: {{ score|floatformat }} "
            "of {{ max_score|floatformat }} points ({{ percentage|floatformat }}%)."
            "{% if passed %} You passed.{% endif %}</p>",
        ),
        "push_body": "{{ quiz_title }}: {{ percentage|floatformat }}%",
        "sms_body": "StudyMate: {{ quiz_title }} graded, {{ percentage|floatformat }}%.",
    },
    {
        "kind": "quiz_graded",
        "language": "ko",
        "subject": "“{{ quiz_title }}” 채점이 끝났습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n“{{ quiz_title }}” 답안 채점 결과: "
        "{{ max_score|floatformat }}점 중 {{ score|floatformat }}점 ({{ percentage|floatformat }}%)."
        "{% if passed %} 통과했습니다.{% endif %}",
        "html_body": _html(
            "퀴즈 채점이 끝났습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p><strong>{{ quiz_title }}</strong>: "
            "{{ max_score|floatformat }}점 중 {{ score|floatformat }}점 ({{ percentage|floatformat }}%)."
            "{% if passed %} 통과했습니다.{% endif %}</p>",
        ),
        "push_body": "{{ quiz_title }}: {{ percentage|floatformat }}%",
        "sms_body": "StudyMate: {{ quiz_title }} 채점 완료, {{ percentage|floatformat }}%.",
    },
    # --- goal reminder
    {
        "kind": "goal_reminder",
        "language": "en",
        "subject": "Time to study",
        "text_body": "Hi {{ name }},\n\nThis is your study reminder: {{ daily_goal_minutes }} "
        "minutes today keeps you on track.",
        "html_body": _html(
            "Time to study",
            "<p>Hi {{ name }},</p><p>This is your study reminder: "
            "<strong>{{ daily_goal_minutes }} minutes</strong> today keeps you on track.</p>",
        ),
        "push_body": "{{ daily_goal_minutes }} minutes today keeps you on track.",
        "sms_body": "StudyMate: time to study, {{ daily_goal_minutes }} minutes today.",
    },
    {
        "kind": "goal_reminder",
        "language": "ko",
        "subject": "공부할 시간입니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n오늘의 학습 알림입니다. 오늘 {{ daily_goal_minutes }}분 "
        "공부하면 목표를 지킬 수 있어요.",
        "html_body": _html(
            "공부할 시간입니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>오늘 <strong>{{ daily_goal_minutes }}분</strong> "
            "공부하면 목표를 지킬 수 있어요.</p>",
        ),
        "push_body": "오늘 {{ daily_goal_minutes }}분 공부하면 목표 달성!",
        "sms_body": "StudyMate: 공부할 시간입니다. 오늘 {{ daily_goal_minutes }}분.",
    },
    # --- streak at risk
    {
        "kind": "streak_at_risk",
        "language": "en",
        "subject": "Keep your {{ streak_days }}-day streak",
        "text_body": "Hi {{ name }},\n\nYou have studied {{ streak_days }} days in a row. Study "
        "today to keep the streak going.",
        "html_body": _html(
            "Keep your streak",
            "<p>Hi {{ name }},</p><p>You have studied <strong>{{ streak_days }} days</strong> in "
            "a row. Study today to keep the streak going.</p>",
        ),
        "push_body": "Study today to keep your {{ streak_days }}-day streak.",
        "sms_body": "StudyMate: study today to keep your {{ streak_days }}-day streak.",
    },
    {
        "kind": "streak_at_risk",
        "language": "ko",
        "subject": "{{ streak_days }}일 연속 학습을 이어가세요",
        "text_body": "{{ name }}님, 안녕하세요.\n\n{{ streak_days }}일 연속으로 공부하셨어요. "
        "오늘도 공부해서 기록을 이어가세요.",
        "html_body": _html(
            "연속 학습을 이어가세요",
            "<p>{{ name }}님, 안녕하세요.</p><p><strong>{{ streak_days }}일</strong> 연속으로 "
            "공부하셨어요. 오늘도 공부해서 기록을 이어가세요.</p>",
        ),
        "push_body": "오늘 공부하면 {{ streak_days }}일 연속 기록이 이어져요.",
        "sms_body": "StudyMate: 오늘 공부하면 {{ streak_days }}일 연속 기록 유지!",
    },
    # --- weekly digest
    {
        "kind": "weekly_digest",
        "language": "en",
        "subject": "Your week: {{ total_minutes }} minutes of study",
        "text_body": "Hi {{ name }},\n\nFrom {{ week_start }} to {{ week_end }} you studied "
        "{{ total_minutes }} minutes in {{ sessions }} sessions.\n"
        "{% for subject in subjects %}\n- {{ subject.name }}: {{ subject.minutes }} min{% endfor %}",
        "html_body": _html(
            "Your week of study",
            "<p>Hi {{ name }},</p><p>From {{ week_start }} to {{ week_end }} you studied "
            "<strong>{{ total_minutes }} minutes</strong> in {{ sessions }} sessions.</p><ul>"
            "{% for subject in subjects %}<li>{{ subject.name }}: {{ subject.minutes }} min</li>"
            "{% endfor %}</ul>",
        ),
        "push_body": "Last week: {{ total_minutes }} minutes in {{ sessions }} sessions.",
        "sms_body": "StudyMate: last week {{ total_minutes }} min of study.",
    },
    {
        "kind": "weekly_digest",
        "language": "ko",
        "subject": "지난주 학습: {{ total_minutes }}분",
        "text_body": "{{ name }}님, 안녕하세요.\n\n{{ week_start }}부터 {{ week_end }}까지 "
        "{{ sessions }}회, 총 {{ total_minutes }}분 공부하셨어요.\n"
        "{% for subject in subjects %}\n- {{ subject.name }}: {{ subject.minutes }}분{% endfor %}",
        "html_body": _html(
            "지난주 학습 요약",
            "<p>{{ name }}님, 안녕하세요.</p><p>{{ week_start }}부터 {{ week_end }}까지 "
            "{{ sessions }}회, 총 <strong>{{ total_minutes }}분</strong> 공부하셨어요.</p><ul>"
            "{% for subject in subjects %}<li>{{ subject.name }}: {{ subject.minutes }}분</li>"
            "{% endfor %}</ul>",
        ),
        "push_body": "지난주 {{ sessions }}회, 총 {{ total_minutes }}분 공부했어요.",
        "sms_body": "StudyMate: 지난주 총 {{ total_minutes }}분 학습.",
    },
    # --- payment succeeded
    {
        "kind": "payment_succeeded",
        "language": "en",
        "subject": "Payment received",
        "text_body": "Hi {{ name }},\n\nWe received your payment of {{ amount }}"
        "{% if plan %} for {{ plan }}{% endif %}. Thank you!",
        "html_body": _html(
            "Payment received",
            "<p>Hi {{ name }},</p><p>We received your payment of <strong>{{ amount }}</strong>"
            "{% if plan %} for {{ plan }}{% endif %}. Thank you!</p>",
        ),
        "push_body": "Payment of {{ amount }} received.",
        "sms_body": "StudyMate: payment of {{ amount }} received.",
    },
    {
        "kind": "payment_succeeded",
        "language": "ko",
        "subject": "결제가 완료되었습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n{% if plan %}{{ plan }} {% endif %}결제 "
        "{{ amount }}이(가) 완료되었습니다. 감사합니다!",
        "html_body": _html(
            "결제가 완료되었습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>{% if plan %}{{ plan }} {% endif %}결제 "
            "<strong>{{ amount }}</strong>이(가) 완료되었습니다. 감사합니다!</p>",
        ),
        "push_body": "{{ amount }} 결제가 완료되었습니다.",
        "sms_body": "StudyMate: {{ amount }} 결제 완료.",
    },
    # --- payment failed
    {
        "kind": "payment_failed",
        "language": "en",
        "subject": "We could not charge your card",
        "text_body": "Hi {{ name }},\n\nThe payment of {{ amount }}{% if plan %} for {{ plan }}"
        "{% endif %} failed. Please update your card to keep your subscription."
        "{% if hosted_invoice_url %}\n\n{{ hosted_invoice_url }}{% endif %}",
        "html_body": _html(
            "Your payment failed",
            "<p>Hi {{ name }},</p><p>The payment of <strong>{{ amount }}</strong>{% if plan %} "
            "for {{ plan }}{% endif %} failed. Please update your card to keep your "
            "subscription.</p>{% if hosted_invoice_url %}<p><a href=\"{{ hosted_invoice_url }}\">"
            "Pay the invoice</a></p>{% endif %}",
        ),
        "push_body": "Your payment of {{ amount }} failed. Update your card.",
        "sms_body": "StudyMate: your payment of {{ amount }} failed. Please update your card.",
    },
    {
        "kind": "payment_failed",
        "language": "ko",
        "subject": "카드 결제에 실패했습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n{% if plan %}{{ plan }} {% endif %}결제 "
        "{{ amount }}에 실패했습니다. 구독을 유지하려면 카드 정보를 업데이트해 주세요."
        "{% if hosted_invoice_url %}\n\n{{ hosted_invoice_url }}{% endif %}",
        "html_body": _html(
            "결제에 실패했습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>{% if plan %}{{ plan }} {% endif %}결제 "
            "<strong>{{ amount }}</strong>에 실패했습니다. 구독을 유지하려면 카드 정보를 "
            "업데이트해 주세요.</p>{% if hosted_invoice_url %}<p><a href=\"{{ hosted_invoice_url }}\">"
            "청구서 결제하기</a></p>{% endif %}",
        ),
        "push_body": "{{ amount }} 결제에 실패했습니다. 카드를 업데이트해 주세요.",
        "sms_body": "StudyMate: {{ amount }} 결제 실패. 카드 정보를 업데이트해 주세요.",
    },
    # --- subscription renewing
    {
        "kind": "subscription_renewing",
        "language": "en",
        "subject": "Your {{ plan }} subscription renews soon",
        "text_body": "Hi {{ name }},\n\nYour {{ plan }} subscription renews on {{ renews_on }}.",
        "html_body": _html(
            "Your subscription renews soon",
            "<p>Hi {{ name }},</p><p>Your <strong>{{ plan }}</strong> subscription renews on "
            "{{ renews_on }}.</p>",
        ),
        "push_body": "{{ plan }} renews on {{ renews_on }}.",
        "sms_body": "StudyMate: {{ plan }} renews on {{ renews_on }}.",
    },
    {
        "kind": "subscription_renewing",
        "language": "ko",
        "subject": "{{ plan }} 구독이 곧 갱신됩니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n{{ plan }} 구독이 {{ renews_on }}에 갱신됩니다.",
        "html_body": _html(
            "구독이 곧 갱신됩니다",
            "<p>{{ name }}님, 안녕하세요.</p><p><strong>{{ plan }}</strong> 구독이 "
            "{{ renews_on }}에 갱신됩니다.</p>",
        ),
        "push_body": "{{ plan }} 구독이 {{ renews_on }}에 갱신됩니다.",
        "sms_body": "StudyMate: {{ plan }} 구독 {{ renews_on }} 갱신 예정.",
    },
    # --- subscription cancelled
    {
        "kind": "subscription_cancelled",
        "language": "en",
        "subject": "Your {{ plan }} subscription was cancelled",
        "text_body": "Hi {{ name }},\n\nYour {{ plan }} subscription was cancelled"
        "{% if ends_on %}; its benefits last until {{ ends_on }}{% endif %}.",
        "html_body": _html(
            "Your subscription was cancelled",
            "<p>Hi {{ name }},</p><p>Your <strong>{{ plan }}</strong> subscription was cancelled"
            "{% if ends_on %}; its benefits last until {{ ends_on }}{% endif %}.</p>",
        ),
        "push_body": "Your {{ plan }} subscription was cancelled.",
        "sms_body": "StudyMate: your {{ plan }} subscription was cancelled.",
    },
    {
        "kind": "subscription_cancelled",
        "language": "ko",
        "subject": "{{ plan }} 구독이 해지되었습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n{{ plan }} 구독이 해지되었습니다."
        "{% if ends_on %} 혜택은 {{ ends_on }}까지 유지됩니다.{% endif %}",
        "html_body": _html(
            "구독이 해지되었습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p><strong>{{ plan }}</strong> 구독이 해지되었습니다."
            "{% if ends_on %} 혜택은 {{ ends_on }}까지 유지됩니다.{% endif %}</p>",
        ),
        "push_body": "{{ plan }} 구독이 해지되었습니다.",
        "sms_body": "StudyMate: {{ plan }} 구독 해지.",
    },
    # --- room invitation
    {
        "kind": "room_invitation",
        "language": "en",
        "subject": "{{ inviter }} invited you to “{{ room_name }}”",
        "text_body": "Hi {{ name }},\n\n{{ inviter }} invited you to study together in "
        "“{{ room_name }}”.",
        "html_body": _html(
            "You are invited to a study room",
            "<p>Hi {{ name }},</p><p>{{ inviter }} invited you to study together in "
            "<strong>{{ room_name }}</strong>.</p>",
        ),
        "push_body": "{{ inviter }} invited you to “{{ room_name }}”.",
        "sms_body": "StudyMate: {{ inviter }} invited you to “{{ room_name }}”.",
    },
    {
        "kind": "room_invitation",
        "language": "ko",
        "subject": "{{ inviter }}님이 “{{ room_name }}”에 초대했습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n{{ inviter }}님이 “{{ room_name }}” 스터디룸에서 "
        "함께 공부하자고 초대했습니다.",
        "html_body": _html(
            "스터디룸 초대",
            "<p>{{ name }}님, 안녕하세요.</p><p>{{ inviter }}님이 <strong>{{ room_name }}</strong> "
            "스터디룸에서 함께 공부하자고 초대했습니다.</p>",
        ),
        "push_body": "{{ inviter }}님이 “{{ room_name }}”에 초대했습니다.",
        "sms_body": "StudyMate: {{ inviter }}님이 “{{ room_name }}”에 초대했습니다.",
    },
    # --- announcement
    {
        "kind": "announcement",
        "language": "en",
        "subject": "{{ title }}",
        "text_body": "Hi {{ name }},\n\n{{ message }}",
        "html_body": _html("{{ title }}", "<p>Hi {{ name }},</p><p>{{ message|linebreaksbr }}</p>"),
        "push_body": "{{ message|truncatechars:120 }}",
        "sms_body": "StudyMate: {{ title }}",
    },
    {
        "kind": "announcement",
        "language": "ko",
        "subject": "{{ title }}",
        "text_body": "{{ name }}님, 안녕하세요.\n\n{{ message }}",
        "html_body": _html(
            "{{ title }}", "<p>{{ name }}님, 안녕하세요.</p><p>{{ message|linebreaksbr }}</p>"
        ),
        "push_body": "{{ message|truncatechars:120 }}",
        "sms_body": "StudyMate: {{ title }}",
    },
]


# Account mail (`accounts.mail`): email only, so no push or SMS words. Codes appear in the
# subject too, so a learner can read them from the notification of their mail app.
ACCOUNT_TEMPLATES: list[dict[str, str]] = [
    # --- email verification
    {
        "kind": "email_verification",
        "language": "en",
        "subject": "{{ code }} is your StudyMate verification code",
        "text_body": "Hi {{ name }},\n\nEnter this code in the app to verify your email address:"
        "\n\n{{ code }}\n\nIt works for {{ minutes }} minutes. If you did not sign up for "
        "StudyMate, ignore this mail.",
        "html_body": _html(
            "Verify your email address",
            "<p>Hi {{ name }},</p><p>Enter this code in the app to verify your email address:</p>"
            '<p style="font-size:28px;letter-spacing:6px"><strong>{{ code }}</strong></p>'
            "<p>It works for {{ minutes }} minutes. If you did not sign up for StudyMate, ignore "
            "this mail.</p>",
        ),
    },
    {
        "kind": "email_verification",
        "language": "ko",
        "subject": "StudyMate 인증 코드: {{ code }}",
        "text_body": "{{ name }}님, 안녕하세요.\n\n앱에 아래 코드를 입력해 이메일 주소를 인증해 주세요."
        "\n\n{{ code }}\n\n코드는 {{ minutes }}분 동안 유효합니다. StudyMate에 가입하지 않으셨다면 "
        "이 메일을 무시하세요.",
        "html_body": _html(
            "이메일 주소를 인증해 주세요",
            "<p>{{ name }}님, 안녕하세요.</p><p>앱에 아래 코드를 입력해 이메일 주소를 인증해 주세요.</p>"
            '<p style="font-size:28px;letter-spacing:6px"><strong>{{ code }}</strong></p>'
            "<p>코드는 {{ minutes }}분 동안 유효합니다. StudyMate에 가입하지 않으셨다면 이 메일을 "
            "무시하세요.</p>",
        ),
    },
    # --- password reset
    {
        "kind": "password_reset",
        "language": "en",
        "subject": "{{ code }} is your StudyMate password reset code",
        "text_body": "Hi {{ name }},\n\nSomeone asked to reset the password of your StudyMate "
        "account. Enter this code in the app to choose a new one:\n\n{{ code }}\n\nIt works for "
        "{{ minutes }} minutes. If it was not you, ignore this mail: your password stays as it is.",
        "html_body": _html(
            "Reset your password",
            "<p>Hi {{ name }},</p><p>Someone asked to reset the password of your StudyMate "
            "account. Enter this code in the app to choose a new one:</p>"
            '<p style="font-size:28px;letter-spacing:6px"><strong>{{ code }}</strong></p>'
            "<p>It works for {{ minutes }} minutes. If it was not you, ignore this mail: your "
            "password stays as it is.</p>",
        ),
    },
    {
        "kind": "password_reset",
        "language": "ko",
        "subject": "StudyMate 비밀번호 재설정 코드: {{ code }}",
        "text_body": "{{ name }}님, 안녕하세요.\n\nStudyMate 계정의 비밀번호 재설정 요청이 있었습니다. "
        "앱에 아래 코드를 입력하고 새 비밀번호를 정해 주세요.\n\n{{ code }}\n\n코드는 {{ minutes }}분 "
        "동안 유효합니다. 직접 요청하지 않으셨다면 이 메일을 무시하세요. 비밀번호는 바뀌지 않습니다.",
        "html_body": _html(
            "비밀번호 재설정",
            "<p>{{ name }}님, 안녕하세요.</p><p>StudyMate 계정의 비밀번호 재설정 요청이 있었습니다. "
            "앱에 아래 코드를 입력하고 새 비밀번호를 정해 주세요.</p>"
            '<p style="font-size:28px;letter-spacing:6px"><strong>{{ code }}</strong></p>'
            "<p>코드는 {{ minutes }}분 동안 유효합니다. 직접 요청하지 않으셨다면 이 메일을 "
            "무시하세요. 비밀번호는 바뀌지 않습니다.</p>",
        ),
    },
    # --- email change: the code, to the new address
    {
        "kind": "email_change_code",
        "language": "en",
        "subject": "{{ code }} is your code to confirm this address",
        "text_body": "Hi {{ name }},\n\nTo make this the email address of your StudyMate account, "
        "enter this code in the app:\n\n{{ code }}\n\nIt works for {{ minutes }} minutes. If you "
        "did not ask for this, ignore this mail.",
        "html_body": _html(
            "Confirm your new email address",
            "<p>Hi {{ name }},</p><p>To make this the email address of your StudyMate account, "
            "enter this code in the app:</p>"
            '<p style="font-size:28px;letter-spacing:6px"><strong>{{ code }}</strong></p>'
            "<p>It works for {{ minutes }} minutes. If you did not ask for this, ignore this "
            "mail.</p>",
        ),
    },
    {
        "kind": "email_change_code",
        "language": "ko",
        "subject": "새 이메일 주소 확인 코드: {{ code }}",
        "text_body": "{{ name }}님, 안녕하세요.\n\n이 주소를 StudyMate 계정의 이메일로 바꾸려면 앱에 "
        "아래 코드를 입력해 주세요.\n\n{{ code }}\n\n코드는 {{ minutes }}분 동안 유효합니다. 직접 "
        "요청하지 않으셨다면 이 메일을 무시하세요.",
        "html_body": _html(
            "새 이메일 주소를 확인해 주세요",
            "<p>{{ name }}님, 안녕하세요.</p><p>이 주소를 StudyMate 계정의 이메일로 바꾸려면 앱에 "
            "아래 코드를 입력해 주세요.</p>"
            '<p style="font-size:28px;letter-spacing:6px"><strong>{{ code }}</strong></p>'
            "<p>코드는 {{ minutes }}분 동안 유효합니다. 직접 요청하지 않으셨다면 이 메일을 "
            "무시하세요.</p>",
        ),
    },
    # --- email change: the notice, to the old address
    {
        "kind": "email_changed_notice",
        "language": "en",
        "subject": "The email address of your StudyMate account was changed",
        "text_body": "Hi {{ name }},\n\nThe email address of your StudyMate account is now "
        "{{ new_email }}; this address no longer signs in. If you did not make this change, "
        "reply to this mail or contact support at once.",
        "html_body": _html(
            "Your email address was changed",
            "<p>Hi {{ name }},</p><p>The email address of your StudyMate account is now "
            "<strong>{{ new_email }}</strong>; this address no longer signs in.</p><p>If you did "
            "not make this change, reply to this mail or contact support at once.</p>",
        ),
    },
    {
        "kind": "email_changed_notice",
        "language": "ko",
        "subject": "StudyMate 계정의 이메일 주소가 변경되었습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\nStudyMate 계정의 이메일 주소가 {{ new_email }}(으)로 "
        "변경되었습니다. 이제 이 주소로는 로그인할 수 없습니다. 직접 변경하지 않으셨다면 즉시 이 메일에 "
        "회신하거나 고객센터에 연락해 주세요.",
        "html_body": _html(
            "이메일 주소가 변경되었습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>StudyMate 계정의 이메일 주소가 "
            "<strong>{{ new_email }}</strong>(으)로 변경되었습니다. 이제 이 주소로는 로그인할 수 "
            "없습니다.</p><p>직접 변경하지 않으셨다면 즉시 이 메일에 회신하거나 고객센터에 연락해 "
            "주세요.</p>",
        ),
    },
    # --- account unlock
    {
        "kind": "account_unlock",
        "language": "en",
        "subject": "{{ code }} is your StudyMate unlock code",
        "text_body": "Hi {{ name }},\n\nYour StudyMate account saw many failed sign-ins, so it "
        "asks for a code with your password. Enter this code in the app:\n\n{{ code }}\n\nIt works "
        "for {{ minutes }} minutes. If you were not signing in, someone may be guessing your "
        "password: consider changing it.",
        "html_body": _html(
            "Unlock your account",
            "<p>Hi {{ name }},</p><p>Your StudyMate account saw many failed sign-ins, so it asks "
            "for a code with your password. Enter this code in the app:</p>"
            '<p style="font-size:28px;letter-spacing:6px"><strong>{{ code }}</strong></p>'
            "<p>It works for {{ minutes }} minutes. If you were not signing in, someone may be "
            "guessing your password: consider changing it.</p>",
        ),
    },
    {
        "kind": "account_unlock",
        "language": "ko",
        "subject": "StudyMate 잠금 해제 코드: {{ code }}",
        "text_body": "{{ name }}님, 안녕하세요.\n\nStudyMate 계정에 로그인 실패가 많아 비밀번호와 함께 "
        "코드를 요청하고 있습니다. 앱에 아래 코드를 입력해 주세요.\n\n{{ code }}\n\n코드는 "
        "{{ minutes }}분 동안 유효합니다. 로그인하려던 것이 아니라면 누군가 비밀번호를 추측하고 있을 "
        "수 있으니 비밀번호 변경을 고려해 주세요.",
        "html_body": _html(
            "계정 잠금 해제",
            "<p>{{ name }}님, 안녕하세요.</p><p>StudyMate 계정에 로그인 실패가 많아 비밀번호와 함께 "
            "코드를 요청하고 있습니다. 앱에 아래 코드를 입력해 주세요.</p>"
            '<p style="font-size:28px;letter-spacing:6px"><strong>{{ code }}</strong></p>'
            "<p>코드는 {{ minutes }}분 동안 유효합니다. 로그인하려던 것이 아니라면 누군가 비밀번호를 "
            "추측하고 있을 수 있으니 비밀번호 변경을 고려해 주세요.</p>",
        ),
    },
    # --- account deletion scheduled
    {
        "kind": "account_deletion_scheduled",
        "language": "en",
        "subject": "Your StudyMate account will be deleted on {{ deletion_date }}",
        "text_body": "Hi {{ name }},\n\nAs you asked, your StudyMate account is closed and will be "
        "deleted for good on {{ deletion_date }}. Changed your mind? Sign in before then and "
        "cancel the deletion in the app.",
        "html_body": _html(
            "Your account will be deleted",
            "<p>Hi {{ name }},</p><p>As you asked, your StudyMate account is closed and will be "
            "deleted for good on <strong>{{ deletion_date }}</strong>.</p><p>Changed your mind? "
            "Sign in before then and cancel the deletion in the app.</p>",
        ),
    },
    {
        "kind": "account_deletion_scheduled",
        "language": "ko",
        "subject": "StudyMate 계정이 {{ deletion_date }}에 삭제됩니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n요청하신 대로 StudyMate 계정이 닫혔으며 "
        "{{ deletion_date }}에 완전히 삭제됩니다. 마음이 바뀌셨다면 그 전에 로그인해 앱에서 삭제를 "
        "취소해 주세요.",
        "html_body": _html(
            "계정이 삭제될 예정입니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>요청하신 대로 StudyMate 계정이 닫혔으며 "
            "<strong>{{ deletion_date }}</strong>에 완전히 삭제됩니다.</p><p>마음이 바뀌셨다면 그 "
            "전에 로그인해 앱에서 삭제를 취소해 주세요.</p>",
        ),
    },
    # --- account deleted
    {
        "kind": "account_deleted",
        "language": "en",
        "subject": "Your StudyMate account has been deleted",
        "text_body": "Hi {{ name }},\n\nYour StudyMate account and what it held about you have "
        "been deleted. Records the law requires us to keep (payments) no longer name you. Thank "
        "you for studying with us.",
        "html_body": _html(
            "Your account has been deleted",
            "<p>Hi {{ name }},</p><p>Your StudyMate account and what it held about you have been "
            "deleted. Records the law requires us to keep (payments) no longer name you.</p>"
            "<p>Thank you for studying with us.</p>",
        ),
    },
    {
        "kind": "account_deleted",
        "language": "ko",
        "subject": "StudyMate 계정이 삭제되었습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\nStudyMate 계정과 계정에 담긴 정보가 삭제되었습니다. "
        "법에 따라 보관해야 하는 기록(결제)은 더 이상 회원님을 식별하지 않습니다. 그동안 함께 공부해 "
        "주셔서 감사합니다.",
        "html_body": _html(
            "계정이 삭제되었습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>StudyMate 계정과 계정에 담긴 정보가 삭제되었습니다. "
            "법에 따라 보관해야 하는 기록(결제)은 더 이상 회원님을 식별하지 않습니다.</p>"
            "<p>그동안 함께 공부해 주셔서 감사합니다.</p>",
        ),
    },
    # --- data export ready (may also go through `notify`: in-app words too)
    {
        "kind": "data_export_ready",
        "language": "en",
        "subject": "Your StudyMate data is ready to download",
        "text_body": "Hi {{ name }},\n\nThe copy of your StudyMate data you asked for is ready. "
        "Download it before {{ expires_at }}; the link stops working then.\n\n{{ download_url }}",
        "html_body": _html(
            "Your data is ready",
            "<p>Hi {{ name }},</p><p>The copy of your StudyMate data you asked for is ready. "
            "Download it before <strong>{{ expires_at }}</strong>; the link stops working "
            'then.</p><p><a href="{{ download_url }}">Download your data</a></p>',
        ),
        "push_body": "Your data export is ready to download until {{ expires_at }}.",
        "sms_body": "StudyMate: your data export is ready until {{ expires_at }}.",
    },
    {
        "kind": "data_export_ready",
        "language": "ko",
        "subject": "StudyMate 데이터를 내려받을 수 있습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\n요청하신 StudyMate 데이터 사본이 준비되었습니다. "
        "{{ expires_at }} 전에 내려받아 주세요. 그 후에는 링크가 만료됩니다.\n\n{{ download_url }}",
        "html_body": _html(
            "데이터가 준비되었습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>요청하신 StudyMate 데이터 사본이 준비되었습니다. "
            "<strong>{{ expires_at }}</strong> 전에 내려받아 주세요. 그 후에는 링크가 "
            '만료됩니다.</p><p><a href="{{ download_url }}">데이터 내려받기</a></p>',
        ),
        "push_body": "데이터 사본이 준비되었습니다. {{ expires_at }}까지 내려받을 수 있습니다.",
        "sms_body": "StudyMate: 데이터 사본 준비 완료, {{ expires_at }}까지.",
    },
]

# A quiz generated with AI is ready (0004: generation moved out of the request).
QUIZ_READY_TEMPLATES: list[dict[str, str]] = [
    {
        "kind": "quiz_ready",
        "language": "en",
        "subject": "Your quiz “{{ quiz_title }}” is ready",
        "text_body": "Hi {{ name }},\n\nThe AI quiz “{{ quiz_title }}” is ready: "
        "{{ questions }} questions to practise with.",
        "html_body": _html(
            "Your quiz is ready",
            "<p>Hi {{ name }},</p><p>The AI quiz <strong>{{ quiz_title }}</strong> is ready: "
            "{{ questions }} questions to practise with.</p>",
        ),
        "push_body": "“{{ quiz_title }}” is ready: {{ questions }} questions.",
        "sms_body": "StudyMate: your quiz “{{ quiz_title }}” is ready.",
    },
    {
        "kind": "quiz_ready",
        "language": "ko",
        "subject": "퀴즈 “{{ quiz_title }}”이(가) 준비되었습니다",
        "text_body": "{{ name }}님, 안녕하세요.\n\nAI 퀴즈 “{{ quiz_title }}”이(가) 준비되었습니다. "
        "{{ questions }}문제를 풀어 보세요.",
        "html_body": _html(
            "퀴즈가 준비되었습니다",
            "<p>{{ name }}님, 안녕하세요.</p><p>AI 퀴즈 <strong>{{ quiz_title }}</strong>이(가) "
            "준비되었습니다. {{ questions }}문제를 풀어 보세요.</p>",
        ),
        "push_body": "“{{ quiz_title }}” 퀴즈가 준비되었습니다. {{ questions }}문제를 풀어 보세요.",
        "sms_body": "StudyMate: 퀴즈 “{{ quiz_title }}”이(가) 준비되었습니다.",
    },
]

# Every template the migrations seed (tests/conftest.py seeds the same list).
ALL_TEMPLATES: list[dict[str, str]] = [*TEMPLATES, *ACCOUNT_TEMPLATES, *QUIZ_READY_TEMPLATES]
