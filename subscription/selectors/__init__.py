"""Reads of the subscription app; ownership is built in (another learner's row is a 404)."""
