"""smm-tracker: unattended order tracker for SMM panels speaking API v2."""

__version__ = "0.1.0"
USER_AGENT = f"smm-tracker/{__version__}"
