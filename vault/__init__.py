"""The registry core: models, storage, keys, sealing, audit rules and the event log.

Nothing here knows about the command line, tables on a terminal or packets; ``handover`` builds on
``vault`` and never the other way round. Importing this package is free: modules load on use.
"""

__version__ = "0.1.0"
