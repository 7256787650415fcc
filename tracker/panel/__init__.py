"""The API v2 client: HTTP, deadlines, retries, parsing, values, status vocabulary. Knows nothing
of SQLite.
"""
