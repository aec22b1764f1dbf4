"""The realtime domain's writes; import from the modules (rooms, sessions ...)."""
