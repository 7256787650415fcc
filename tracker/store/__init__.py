"""The only code that touches SQLite: connection, numbered migrations, the SQL of each table
family.
"""
