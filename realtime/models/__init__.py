"""The realtime domain's tables: learning sessions and study rooms."""
