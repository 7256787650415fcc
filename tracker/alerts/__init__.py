"""One way out for alerts: the log, the alerts table, the webhook."""
