"""Personalization endpoints: thin views over services and selectors."""
