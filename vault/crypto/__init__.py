"""Keys and what is done with them: sealing, data keys and their slots, unlocking, per-post keys,
escrow recipients, officer identities, SSH signatures, signed documents, TOTP and the OS keyring.

Only primitives from ``cryptography`` (and age, through pyrage) in standard constructions.
"""
