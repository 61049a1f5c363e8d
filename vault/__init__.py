"""The registry core, in rooms that depend one way only (each on the ones above it)::

    errors, model, canonical   what every room speaks: typed errors, the vocabulary, JCS bytes
    store/                     where a registry lives: location, schema, migrations, transactions
    crypto/                    keys, slots, unlocking, sealing, identities, signatures
    records/                   posts, officers, accounts, groups, credentials, custody, members
    log/                       reading and verifying the event log, checkpoints
    audit/                     the IT cell's rules over one snapshot
    exchange/                  import, export, backup, and the bundle a packet carries

Nothing here knows about the command line, tables on a terminal or packets; ``handover`` builds on
``vault`` and never the other way round. Importing this package is free: modules load on use.
See docs/architecture.md.
"""

__version__ = "0.1.0"
