"""The billing domain's tables."""
