"""WebSocket consumers of the realtime domain; `base.JsonConsumer` is the shared base."""
