"""Enrichment that needs stored state: which government action is behind a change.

The matching itself is pure (``monitor.attribution``); this module only gathers
the stored actions it needs and shapes the answer for the change document.
"""

from __future__ import annotations

from monitor.changeset import Attributor, no_attribution
from monitor.store import Store


def attributor(store: Store) -> Attributor:
    """The attribution function for changes rendered from ``store``.

    Until the Federal Register source is stored, nothing is attributed.
    """
    del store
    return no_attribution
