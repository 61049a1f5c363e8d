"""What crosses the registry's edge: CSV imports, exports of the register, encrypted backups and
their restore, and the bundle of a post that a handover packet carries.
"""
