"""Accounts services: deletion."""

from __future__ import annotations
