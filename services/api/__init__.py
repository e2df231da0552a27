"""Conventions every API of the platform shares: one error format."""
