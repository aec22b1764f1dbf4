"""The append-only event store and its outbox (owned by studymate_api.cqrs)."""
