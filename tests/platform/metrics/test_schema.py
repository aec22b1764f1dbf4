"""The staff metrics endpoints are in the OpenAPI schema, with their parameter and errors."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_metrics_endpoints_are_documented():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    business = paths["/api/metrics/business/"]["get"]
    days = next(p for p in business["parameters"] if p["name"] == "days")
    assert days["schema"] == {"type": "integer", "maximum": 365, "minimum": 1, "default": 30}
    assert {"200", "401", "403"} <= set(business["responses"])
    system = paths["/api/metrics/system/"]["get"]
    assert {"200", "401", "403"} <= set(system["responses"])
    assert "/metrics/" not in paths  # Prometheus text, not part of the JSON API
