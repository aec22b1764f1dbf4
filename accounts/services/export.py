"""Accounts services: export."""

from __future__ import annotations
