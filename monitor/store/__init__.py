"""The store: the only package that holds SQL.

``db`` is the package-internal handle (connection, transaction, rows) that every store
module uses; ``store`` is the facade the rest of ecmon opens (``Store``); ``schema`` holds
the numbered migrations; ``write`` the SQL of one run's transaction (``baseline``: a
baseline written as its file is read); ``codec`` how models become rows and back;
``analysis``, ``alerts`` and ``outbox`` the tables of those areas.
"""

from monitor.store.store import SourceState, Store

__all__ = ["SourceState", "Store"]
