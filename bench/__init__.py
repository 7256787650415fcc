"""The scale benchmark: ``python -m bench`` (see ``make bench`` and the README)."""
