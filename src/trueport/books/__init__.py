"""The books: request records, audit events, roll-ups and inference events of finished calls.

Serving processes hand each finished call over as one line (``intake``, ``handoff``); a recorder keeps
the books from those lines (``recorder``, ``sources``), in its own process by default
(``trueport recorder``, started by ``trueport serve``). See ARCHITECTURE.md, "Two roles".
"""
