"""Accounts models: sessions."""

from __future__ import annotations
