"""The click commands and their text/JSON rendering: the only place that prints or exits."""
