"""The study domain at `/api/cqrs/...`: a second address kept as a contract for its clients.

`apis`/`urls` (the endpoints) call the study services and selectors directly, like the REST
endpoints; `selectors` holds the two reads without a REST twin of the same shape (summaries
without their content, the learner's totals).
"""
