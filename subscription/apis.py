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

if TYPE_CHECKING:
    from accounts.models import User

NOT_CONFIGURED = OpenApiResponse(description="`billing_not_configured`: no Stripe keys")


def _user(request: Request) -> User:
    return cast("User", request.user)


class PlanListApi(APIView):
    """Every plan on sale, the free plan included. No sign-in needed."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: PlanOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(PlanOutputSerializer(plan_reads.plan_list(), many=True).data)


class CheckoutApi(APIView):
    @extend_schema(
        request=CheckoutInputSerializer,
        responses={
            200: CheckoutOutputSerializer,
            400: OpenApiResponse(description="`validation_error`: plan or promo_code"),
            404: OpenApiResponse(description="`not_found`: no such plan"),
            409: OpenApiResponse(description="`conflict`: already subscribed"),
            503: NOT_CONFIGURED,
        },
        description="Creates a Stripe Checkout Session (subscription mode); send the learner "
        "to `checkout_url`. The subscription starts when Stripe reports the payment.",
    )
    def post(self, request: Request) -> Response:
        data = validated(CheckoutInputSerializer, request.data)
        session = checkout.checkout_create(
            user=_user(request), plan_id=data["plan_id"], promo_code=data.get("promo_code", "")
        )
        body = {"checkout_url": session.checkout_url, "session_id": session.session_id}
        return Response(body)


class CurrentSubscriptionApi(APIView):
    @extend_schema(responses={200: SubscriptionOutputSerializer})
    def get(self, request: Request) -> Response:
        user = _user(request)
        subscription = plan_reads.subscription_current(user=user)
        plan = subscription.plan if subscription else plan_reads.plan_free_get()
        payload = subscription_payload(subscription, plan)
        return Response(SubscriptionOutputSerializer(payload).data)


class CancelApi(APIView):
    @extend_schema(
        request=None,
        responses={200: SubscriptionOutputSerializer, 409: OpenApiResponse(), 503: NOT_CONFIGURED},
        description="Cancels at the end of the paid period; the plan stays until then.",
    )
    def post(self, request: Request) -> Response:
        subscription = checkout.subscription_cancel(user=_user(request))
        payload = subscription_payload(subscription, subscription.plan)
        return Response(SubscriptionOutputSerializer(payload).data)


class ResumeApi(APIView):
    @extend_schema(
        request=None,
        responses={200: SubscriptionOutputSerializer, 409: OpenApiResponse(), 503: NOT_CONFIGURED},
        description="Undoes a cancellation that has not taken effect yet.",
    )
    def post(self, request: Request) -> Response:
        subscription = checkout.subscription_resume(user=_user(request))
        payload = subscription_payload(subscription, subscription.plan)
        return Response(SubscriptionOutputSerializer(payload).data)


class PortalApi(APIView):
    @extend_schema(
        request=None,
        responses={200: PortalOutputSerializer, 409: OpenApiResponse(), 503: NOT_CONFIGURED},
        description="A link to Stripe's customer portal (cards, invoices, plan changes).",
    )
    def post(self, request: Request) -> Response:
        return Response({"url": checkout.portal_create(user=_user(request))})


class CreditsApi(APIView):
    @extend_schema(
        parameters=[CreditsQuerySerializer],
        responses={200: CreditsOutputSerializer},
        description="Your balance, monthly allowance, when it is next granted, and the newest "
        "`ledger_limit` ledger entries (20 by default, at most 100).",
    )
    def get(self, request: Request) -> Response:
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
    """Credit packs on sale, bought once on top of the plan's monthly allowance. No sign-in
    needed."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: CreditPackOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(CreditPackOutputSerializer(pack_reads.pack_list(), many=True).data)


class TopUpApi(APIView):
    @extend_schema(
        request=TopUpInputSerializer,
        responses={
            200: CheckoutOutputSerializer,
            400: OpenApiResponse(description="`validation_error`: pack_id"),
            404: OpenApiResponse(description="`not_found`: no such pack on sale"),
            503: NOT_CONFIGURED,
        },
        description="Creates a Stripe Checkout Session (payment mode) for a credit pack; send "
        "the learner to `checkout_url`. The credits are added when Stripe reports the payment.",
    )
    def post(self, request: Request) -> Response:
        data = validated(TopUpInputSerializer, request.data)
        session = topups.top_up_checkout_create(user=_user(request), pack_id=data["pack_id"])
        return Response({"checkout_url": session.checkout_url, "session_id": session.session_id})


class PaymentListApi(ListAPIView[Payment]):
    """Your payments, newest first."""

    serializer_class = PaymentOutputSerializer
    queryset = Payment.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    def get_queryset(self) -> Any:
        return payment_reads.payment_list(user=_user(self.request))


class ReceiptApi(APIView):
    """JSON by default; `?format=html` (or the `receipt.html` path) answers a printable page."""

    html = False

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "html"])],
        responses={
            (200, "application/json"): ReceiptOutputSerializer,
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR),
            404: OpenApiResponse(description="`not_found`"),
        },
    )
    def get(self, request: Request, payment_id: int) -> Response | HttpResponse:
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
        responses={200: PromoValidateOutputSerializer},
        description="Whether the code applies to the plan, and if not, why.",
    )
    def post(self, request: Request) -> Response:
        data = validated(PromoValidateInputSerializer, request.data)
        plan = plan_reads.plan_get_purchasable(plan_id=data["plan_id"])
        check = discounts.discount_check(user=_user(request), code=data["code"], plan=plan)
        payload = discounts.discount_check_payload(check, code=data["code"], plan=plan)
        return Response(PromoValidateOutputSerializer(payload).data)


class WebhookApi(APIView):
    """Stripe's events. Authenticated by the Stripe signature, not by a user."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            200: WebhookOutputSerializer,
            400: OpenApiResponse(description="`validation_error`: missing/invalid signature"),
            503: NOT_CONFIGURED,
        },
    )
    def post(self, request: Request) -> Response:
        receipt = webhook_receive(
            payload=request.body, signature=request.headers.get(SIGNATURE_HEADER)
        )
        return Response({"received": True, "duplicate": receipt.duplicate})
