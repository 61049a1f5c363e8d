"""handover: the command line over the ``vault`` registry, and signed, sealed handover packets.

Importing this package is cheap on purpose: ``handover --help`` must not load SQLAlchemy,
cryptography, keyring or tabulate.
"""

__version__ = "0.1.0"
