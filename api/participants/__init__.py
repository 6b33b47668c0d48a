"""Participants: known only by a pseudonym, and forgotten on request."""
