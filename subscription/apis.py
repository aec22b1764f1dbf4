"""Subscription endpoints: thin views over services and selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import HttpResponse
from django.template.loader import render_to_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.conditional import etag_cached
from studymate_api.core.errors import BillingNotConfigured, Conflict, NotFound, PermissionDenied
from studymate_api.core.idempotency import idempotent
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated

from .models import Payment
from .selectors import credits as credit_reads
from .selectors import packs as pack_reads
from .selectors import payments as payment_reads
from .selectors import plans as plan_reads
from .selectors.receipts import receipt_build
from .serializers import (
    CheckoutInputSerializer,
    CheckoutOutputSerializer,
    CreditPackOutputSerializer,
    CreditsOutputSerializer,
    CreditsQuerySerializer,
    PaymentOutputSerializer,
    PlanOutputSerializer,
    PortalOutputSerializer,
    PromoValidateInputSerializer,
    PromoValidateOutputSerializer,
    ReceiptOutputSerializer,
    SubscriptionOutputSerializer,
    TopUpInputSerializer,
    WebhookOutputSerializer,
    subscription_payload,
)
from .services import checkout, credits, discounts, topups
from .services.webhooks import webhook_receive
from .services.webhooks.receive import SIGNATURE_HEADER
from .stripe_api import PaymentProviderUnavailable

if TYPE_CHECKING:
    from accounts.models import User

# What every call to Stripe can answer.
STRIPE_ERRORS = (BillingNotConfigured, PaymentProviderUnavailable)


def _user(request: Request) -> User:
    return cast("User", request.user)


class PlanListApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: PlanOutputSerializer(many=True)})
    @etag_cached(version=lambda request: plan_reads.plan_catalogue_version())
    def get(self, request: Request) -> Response:
        """List subscription plans

        Every plan on sale, the free plan included. No sign-in needed.
        """
        return Response(PlanOutputSerializer(plan_reads.plan_list(), many=True).data)


class CheckoutApi(APIView):
    @extend_schema(
        request=CheckoutInputSerializer,
        responses={
            200: CheckoutOutputSerializer,
            **raises(NotFound, Conflict, PermissionDenied, *STRIPE_ERRORS),
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Start a subscription checkout

        Creates a Stripe Checkout Session for the plan (with `promo_code`, discounted); send the
        learner to `checkout_url`. The subscription starts when Stripe reports the payment. 409
        `conflict` when you are subscribed already (change plans in the billing portal); 403
        `permission_denied` until your email address is verified; 503 `billing_not_configured`
        when billing is off.
        """
        data = validated(CheckoutInputSerializer, request.data)
        session = checkout.checkout_create(
            user=_user(request), plan_id=data["plan_id"], promo_code=data.get("promo_code", "")
        )
        body = {"checkout_url": session.checkout_url, "session_id": session.session_id}
        return Response(body)


class CurrentSubscriptionApi(APIView):
    @extend_schema(responses={200: SubscriptionOutputSerializer})
    def get(self, request: Request) -> Response:
        """Get your current subscription

        The plan you are on now: a paid subscription with its period and cancellation state, or the
        free plan (no Stripe fields).
        """
        user = _user(request)
        subscription = plan_reads.subscription_current(user=user)
        plan = subscription.plan if subscription else plan_reads.plan_free_get()
        payload = subscription_payload(subscription, plan)
        return Response(SubscriptionOutputSerializer(payload).data)


class CancelApi(APIView):
    @extend_schema(
        request=None,
        responses={200: SubscriptionOutputSerializer, **raises(Conflict, *STRIPE_ERRORS)},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Cancel your subscription at the end of the period

        The plan stays until the paid period ends. 409 `conflict` without a paid subscription or
        when it is set to end already.
        """
        subscription = checkout.subscription_cancel(user=_user(request))
        payload = subscription_payload(subscription, subscription.plan)
        return Response(SubscriptionOutputSerializer(payload).data)


class ResumeApi(APIView):
    @extend_schema(
        request=None,
        responses={200: SubscriptionOutputSerializer, **raises(Conflict, *STRIPE_ERRORS)},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Resume a cancelled subscription

        Undoes a cancellation that has not taken effect yet. 409 `conflict` without a paid
        subscription or when it is not set to end.
        """
        subscription = checkout.subscription_resume(user=_user(request))
        payload = subscription_payload(subscription, subscription.plan)
        return Response(SubscriptionOutputSerializer(payload).data)


class PortalApi(APIView):
    @extend_schema(
        request=None,
        responses={200: PortalOutputSerializer, **raises(Conflict, *STRIPE_ERRORS)},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Open the billing portal

        A link to Stripe's customer portal (cards, invoices, plan changes). 409 `conflict` before
        your first checkout.
        """
        return Response({"url": checkout.portal_create(user=_user(request))})


class CreditsApi(APIView):
    @extend_schema(
        parameters=[CreditsQuerySerializer],
        responses={200: CreditsOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        """Get your AI credits

        Your balance, monthly allowance, when it is next granted, and the newest `ledger_limit`
        ledger entries (20 by default, at most 100).
        """
        query = validated(CreditsQuerySerializer, request.query_params.dict())
        user = _user(request)
        credits.credits_ensure_allowance(user=user)
        plan = plan_reads.effective_plan(user=user)
        summary = credit_reads.credits_summary(user=user, plan=plan)
        ledger = credit_reads.credits_ledger(user=user)[: query["ledger_limit"]]
        payload = {
            "balance": summary.balance,
            "monthly_allowance": summary.monthly_allowance,
            "resets_at": summary.resets_at,
            "plan": plan.code,
            "ledger": ledger,
        }
        return Response(CreditsOutputSerializer(payload).data)


class CreditPackListApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: CreditPackOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """List credit packs

        Credit packs on sale, bought once on top of the plan's monthly allowance. No sign-in needed.
        """
        return Response(CreditPackOutputSerializer(pack_reads.pack_list(), many=True).data)


class TopUpApi(APIView):
    @extend_schema(
        request=TopUpInputSerializer,
        responses={
            200: CheckoutOutputSerializer,
            **raises(NotFound, PermissionDenied, *STRIPE_ERRORS),
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Buy a credit pack

        Creates a Stripe Checkout Session (a one-time payment) for the pack; send the learner to
        `checkout_url`. The credits are added when Stripe reports the payment. 403
        `permission_denied` until your email address is verified; 503 `billing_not_configured`
        when billing is off.
        """
        data = validated(TopUpInputSerializer, request.data)
        session = topups.top_up_checkout_create(user=_user(request), pack_id=data["pack_id"])
        return Response({"checkout_url": session.checkout_url, "session_id": session.session_id})


class PaymentListApi(ListAPIView[Payment]):
    serializer_class = PaymentOutputSerializer
    queryset = Payment.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List your payments

        Subscription payments and credit top-ups, newest first.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return payment_reads.payment_list(user=_user(self.request))


class ReceiptApi(APIView):
    html = False

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "html"])],
        responses={
            (200, "application/json"): ReceiptOutputSerializer,
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR),
            **raises(NotFound),
        },
    )
    def get(self, request: Request, payment_id: int) -> Response | HttpResponse:
        """Get a payment's receipt

        JSON by default; `?format=html` (or the `receipt.html` path) answers a printable page.
        """
        payment = payment_reads.payment_get(user=_user(request), payment_id=payment_id)
        receipt = receipt_build(payment=payment)
        if self.html or request.query_params.get("format") == "html":
            page = render_to_string("subscription/receipt.html", {"receipt": receipt}, request)
            return HttpResponse(page, content_type="text/html; charset=utf-8")
        return Response(receipt)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # `?format=html` is ours to answer (above); every Response, errors included, is JSON.
        return JSONRenderer(), JSONRenderer.media_type

    def get_renderers(self) -> list[BaseRenderer]:
        return [JSONRenderer()]


class PromoValidateApi(APIView):
    @extend_schema(
        request=PromoValidateInputSerializer,
        responses={200: PromoValidateOutputSerializer, **raises(NotFound)},
    )
    def post(self, request: Request) -> Response:
        """Check a promo code

        Whether the code applies to the plan for you, and if not, why; nothing is redeemed.
        """
        data = validated(PromoValidateInputSerializer, request.data)
        plan = plan_reads.plan_get_purchasable(plan_id=data["plan_id"])
        check = discounts.discount_check(user=_user(request), code=data["code"], plan=plan)
        payload = discounts.discount_check_payload(check, code=data["code"], plan=plan)
        return Response(PromoValidateOutputSerializer(payload).data)


class WebhookApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            200: WebhookOutputSerializer,
            **raises(Conflict, BillingNotConfigured),
        },
    )
    def post(self, request: Request) -> Response:
        """Receive a Stripe event

        For Stripe only: authenticated by the `Stripe-Signature` header, not by a user. A delivery
        seen before answers `duplicate: true` and changes nothing.
        """
        receipt = webhook_receive(
            payload=request.body, signature=request.headers.get(SIGNATURE_HEADER)
        )
        return Response({"received": True, "duplicate": receipt.duplicate})
