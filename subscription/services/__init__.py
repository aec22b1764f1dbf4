"""Writes of the subscription app, one module per concern (credits, plans, checkout,
discounts, webhooks)."""
