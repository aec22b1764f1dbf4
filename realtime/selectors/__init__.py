"""The realtime domain's reads; import from the modules (rooms, sessions ...)."""
