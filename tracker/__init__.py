"""smm-tracker: unattended order tracker for SMM panels speaking API v2."""

__version__ = "0.2.0.dev0"
USER_AGENT = f"smm-tracker/{__version__}"
