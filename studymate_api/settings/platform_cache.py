"""Settings of studymate_api.cache."""

from __future__ import annotations


