"""``handover serve``: a local web page for the outgoing officer, the incoming officer and the
IT cell, over the same core as the command line; it adds no rules of its own.

It listens on the loopback address only, and everything it shows comes from :mod:`vault` and
the guided flows (:mod:`handover.give`, :mod:`handover.take`).
"""
