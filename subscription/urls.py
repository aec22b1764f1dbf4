from django.urls import URLPattern, URLResolver, path

from . import apis

app_name = "subscription"

urlpatterns: list[URLPattern | URLResolver] = [
    path("plans/", apis.PlanListApi.as_view(), name="plans"),
    path("checkout/", apis.CheckoutApi.as_view(), name="checkout"),
    path("current/", apis.CurrentSubscriptionApi.as_view(), name="current"),
    path("cancel/", apis.CancelApi.as_view(), name="cancel"),
    path("resume/", apis.ResumeApi.as_view(), name="resume"),
    path("portal/", apis.PortalApi.as_view(), name="portal"),
    path("credits/", apis.CreditsApi.as_view(), name="credits"),
    path("credits/top-up/", apis.TopUpApi.as_view(), name="credits-top-up"),
    path("credit-packs/", apis.CreditPackListApi.as_view(), name="credit-packs"),
    path("payments/", apis.PaymentListApi.as_view(), name="payments"),
    path("payments/<int:payment_id>/receipt/", apis.ReceiptApi.as_view(), name="payment-receipt"),
    path(
        "payments/<int:payment_id>/receipt.html",
        apis.ReceiptApi.as_view(html=True),
        name="payment-receipt-html",
    ),
    path("promo/validate/", apis.PromoValidateApi.as_view(), name="promo-validate"),
    path("webhook/", apis.WebhookApi.as_view(), name="webhook"),
]
