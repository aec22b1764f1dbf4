"""Accounts models: lifecycle."""

from __future__ import annotations
