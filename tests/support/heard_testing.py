"""Small helpers for tests (importable as `from heard_testing import ...`)."""

CHANNEL_TOKEN = "test-channel-token-0123456789abcdef"


def bearer(key: str) -> dict[str, str]:
    """Return the Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}
