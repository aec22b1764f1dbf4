"""Accounts services: mfa."""

from __future__ import annotations
