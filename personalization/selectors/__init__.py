"""Every read of the personalization domain, one module per concern."""
