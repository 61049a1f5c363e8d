"""Where a registry lives and how it is opened: its location, schema and migrations, settings,
transactions with their event-log entries, and the bulk and standard-library read paths.

Nothing here seals, signs or knows a post from an account: every other room builds on this one.
"""
