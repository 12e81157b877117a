"""The explicit registry of sources: adding a source is one folder and one line here.

Each line names the source's ``info`` module (its static facts: cheap to import) and
where its class lives. Configuration and titles read every source's ``INFO``; a
source's parser (bs4, lxml, the MOFCOM and Federal Register readers...) is imported
only when that source is looked up in ``REGISTRY``, so a run of the CSL alone never
loads the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from types import MappingProxyType

from monitor.config import SourceSettings
from monitor.sources.base import Source, SourceInfo
from monitor.sources.csl import info as csl_info
from monitor.sources.ecfr import info as ecfr_info
from monitor.sources.federal_register import info as federal_register_info
from monitor.sources.mfa import info as mfa_info
from monitor.sources.mofcom import info as mofcom_info

# (static facts, "module:Class" of the source); one line per source.
_SOURCES: tuple[tuple[SourceInfo, str], ...] = (
    (csl_info.INFO, "monitor.sources.csl.source:CslEntityListSource"),
    (ecfr_info.INFO, "monitor.sources.ecfr.source:EcfrEntityListSource"),
    (federal_register_info.INFO, "monitor.sources.federal_register.source:FederalRegisterSource"),
    (mofcom_info.INFO, "monitor.sources.mofcom.source:MofcomAnnouncementsSource"),
    (mfa_info.INFO, "monitor.sources.mfa.source:MfaCountermeasuresSource"),
)

INFOS: Mapping[str, SourceInfo] = MappingProxyType({info.name: info for info, _ in _SOURCES})


class Registry(Mapping[str, Source]):
    """Sources by name, each imported and built on first lookup (then kept)."""

    def __init__(self, entries: tuple[tuple[SourceInfo, str], ...]) -> None:
        self._where = {info.name: where for info, where in entries}
        self._built: dict[str, Source] = {}

    def __getitem__(self, name: str) -> Source:
        built = self._built.get(name)
        if built is None:
            module, _, cls = self._where[name].partition(":")
            built = self._built[name] = getattr(import_module(module), cls)()
            if built.info.name != name:
                raise RuntimeError(f"source {self._where[name]} says its name is {built.info.name}")
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


REGISTRY: Mapping[str, Source] = Registry(_SOURCES)


def default_settings() -> dict[str, SourceSettings]:
    """Every registered source's settings before configuration is applied."""
    return {name: info.default_settings() for name, info in INFOS.items()}


__all__ = ["INFOS", "REGISTRY", "Source", "SourceInfo", "default_settings"]
