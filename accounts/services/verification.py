"""Accounts services: verification."""

from __future__ import annotations
