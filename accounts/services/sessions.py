"""Accounts services: sessions."""

from __future__ import annotations
