"""The long-running process: scheduler, signals, systemd notify, lock, metrics, logging set-up,
doctor checks.
"""
