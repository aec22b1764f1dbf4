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
