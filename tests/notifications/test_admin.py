"""Staff edit templates in the admin and preview them rendered with the kind's sample context."""

from __future__ import annotations

from typing import Any

from notifications.models import NotificationBatch, NotificationTemplate


def test_the_preview_renders_every_channel_with_the_sample_context(admin_client: Any) -> None:
    template = NotificationTemplate.objects.get(kind="quiz_graded", language="en")
    response = admin_client.get(f"/admin/notifications/notificationtemplate/{template.pk}/preview/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "“Cell biology” has been graded" in page
    assert "8.5 of 10 points (85%). You passed." in page
    # The HTML body is shown sandboxed, escaped into the iframe's srcdoc.
    assert "&lt;strong&gt;Cell biology&lt;/strong&gt;" in page


def test_a_template_with_a_syntax_error_is_refused_in_the_form(admin_client: Any) -> None:
    template = NotificationTemplate.objects.get(kind="goal_reminder", language="en")
    url = f"/admin/notifications/notificationtemplate/{template.pk}/change/"
    data = {
        "kind": "goal_reminder",
        "language": "en",
        "subject": "{% if %}",
        "text_body": "Hi",
        "html_body": "",
        "push_body": "",
        "sms_body": "",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    template.refresh_from_db()
    assert template.subject == "Time to study"


def test_the_preview_action_opens_the_preview(admin_client: Any) -> None:
    template = NotificationTemplate.objects.get(kind="announcement", language="ko")
    response = admin_client.post(
        "/admin/notifications/notificationtemplate/",
        {"action": "preview_selected", "_selected_action": [template.pk]},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{template.pk}/preview/")


def test_staff_cancel_batches_from_the_list(admin_client: Any) -> None:
    from django.utils import timezone

    batch = NotificationBatch.objects.create(
        kind="announcement", segment="all", scheduled_at=timezone.now(), context={}
    )
    response = admin_client.post(
        "/admin/notifications/notificationbatch/",
        {"action": "cancel_selected", "_selected_action": [batch.pk]},
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "cancelled"
