"""Accounts models: codes."""

from __future__ import annotations
