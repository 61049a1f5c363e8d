"""The department's records: posts, officers and tenures, accounts and their contacts,
verification, groups, credentials, custody of packets, IT cell members, transfer orders, settings.

Every change here is one transaction with its event-log entry; secrets are sealed through
:mod:`vault.crypto` on the way in.
"""
