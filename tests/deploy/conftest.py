"""The end-to-end fixtures (a fresh migrated PostgreSQL database, servers) for the deploy tests."""

from tests.e2e.conftest import dead_database_server_url, e2e_database_url

__all__ = ["dead_database_server_url", "e2e_database_url"]
