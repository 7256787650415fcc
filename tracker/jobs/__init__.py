"""What runs on the schedule: status poll, services, refills, balance, drop probe, and their
wiring.
"""
