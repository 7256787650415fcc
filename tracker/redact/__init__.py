"""Secrets kept out of every output: the key and alert URLs blanked from any
text, by every layer and the base modules (:mod:`tracker.redact.scrub`, what
they import); it imports nothing of the tracker but itself."""
