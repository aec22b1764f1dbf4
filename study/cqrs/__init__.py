"""The study domain through the command and query buses: `/api/cqrs/...`.

`messages` (commands and queries), `handlers` (thin wrappers over the study services and
selectors that record the domain events), `projections` (read models fed by the events after
commit), `apis`/`urls` (the endpoints). `StudyConfig.ready` imports `handlers` and `projections`,
which registers them; this module imports nothing so the services can import `events` from it.
"""
