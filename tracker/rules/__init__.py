"""Pure decisions with an injected clock: transitions, refill eligibility, balance, alert episodes,
doctor verdicts.
"""
