"""Accounts services: social."""

from __future__ import annotations
