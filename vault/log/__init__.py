"""The event log as people and auditors read it: entries by date or object, the hash chain
recomputed, and signed checkpoints that catch a cut or rewritten history.

Writing the log is part of every transaction (:mod:`vault.store.journal`).
"""
