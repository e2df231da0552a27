"""Numbered ClickHouse migrations `NNNN_name.py`, each exposing `operations(database)`."""
