"""Confederations: a protocol among peer nodes, not a hosted account (pure parts)."""
