"""Credit packs on sale."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import NotFound

from ..models import CreditPack


def pack_list() -> QuerySet[CreditPack]:
    return CreditPack.objects.filter(is_active=True).order_by("sort_order", "price_amount", "id")


def pack_get_purchasable(*, pack_id: int) -> CreditPack:
    """An active pack; an unknown or withdrawn one is a 404."""
    pack = CreditPack.objects.filter(pk=pack_id, is_active=True).first()
    if pack is None:
        raise NotFound(_("No such credit pack."))
    return pack
