"""The explicit registry of sources: adding a source is one module and one line here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from monitor.config import SourceSettings
from monitor.sources.base import Source, SourceInfo
from monitor.sources.csl.source import CslEntityListSource
from monitor.sources.ecfr.source import EcfrEntityListSource
from monitor.sources.federal_register.source import FederalRegisterSource
from monitor.sources.mofcom.source import MofcomAnnouncementsSource

REGISTRY: Mapping[str, Source] = MappingProxyType(
    {
        source.info.name: source
        for source in (
            CslEntityListSource(),
            EcfrEntityListSource(),
            FederalRegisterSource(),
            MofcomAnnouncementsSource(),
        )
    }
)


def default_settings() -> dict[str, SourceSettings]:
    """Every registered source's settings before configuration is applied."""
    return {name: source.info.default_settings() for name, source in REGISTRY.items()}


__all__ = ["REGISTRY", "Source", "SourceInfo", "default_settings"]
