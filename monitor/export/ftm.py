"""Exported entities as FollowTheMoney entities (line-delimited JSON), as OpenSanctions
publishes them: a ``LegalEntity`` (or ``Person``) per listed party and a ``Sanction``
per listing that points at it, with the authority, programme, dates and provenance.

Written by hand from the FtM schema (no runtime dependency); the tests validate every
entity with the ``followthemoney`` package itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from monitor.export.entities import LISTS, ExportedEntity

_AUTHORITY = {
    "el": "Bureau of Industry and Security",
    "meu": "Bureau of Industry and Security",
    "uvl": "Bureau of Industry and Security",
    "dpl": "Bureau of Industry and Security",
    "ecl": "Ministry of Commerce of the People's Republic of China",
    "uel": "Unreliable Entity List Working Mechanism, Ministry of Commerce",
    "mfa": "Ministry of Foreign Affairs of the People's Republic of China",
}
_AUTHORITY_COUNTRY = {"el": "us", "meu": "us", "uvl": "us", "dpl": "us"}
_PERSON_KINDS = frozenset({"person", "individual"})


def to_ftm(entities: Sequence[ExportedEntity]) -> str:
    """One JSON object per line: each party, then its sanction."""
    lines: list[str] = []
    for entity in entities:
        party_id = entity_id(entity.record.list_name, entity.record.key)
        for obj in (_party(entity, party_id), _sanction(entity, party_id)):
            lines.append(json.dumps(obj, ensure_ascii=False, sort_keys=True))
    return "".join(f"{line}\n" for line in lines)


def entity_id(list_name: str, key: str, kind: str = "") -> str:
    """A stable id: the same list entry always gets the same id across exports."""
    digest = hashlib.sha1(f"{list_name}|{key}|{kind}".encode(), usedforsecurity=False)
    return f"ecmon-{list_name}-{digest.hexdigest()[:16]}{'-' + kind if kind else ''}"


def _party(entity: ExportedEntity, party_id: str) -> dict[str, object]:
    record = entity.record
    kind = entity.text("kind", "party_type", "entity_type").lower()
    props: dict[str, list[str]] = {
        "name": [record.name],
        "alias": [*entity.values("aliases", "alt_names"), *entity.names_other],
        "address": list(entity.values("addresses")),
        "country": [record.country.lower()] if record.country else [],
        "topics": ["sanction"],
        "sourceUrl": _urls(entity),
    }
    if kind in _PERSON_KINDS:
        props["position"] = list(entity.values("role", "title", "position"))
    return {
        "id": party_id,
        "schema": "Person" if kind in _PERSON_KINDS else "LegalEntity",
        "properties": _compact(props),
    }


def _sanction(entity: ExportedEntity, party_id: str) -> dict[str, object]:
    record, version = entity.record, entity.version
    list_name = record.list_name
    props: dict[str, list[str]] = {
        "entity": [party_id],
        "authority": [_AUTHORITY.get(list_name, "")],
        "program": [LISTS.get(list_name, list_name)],
        "country": [_AUTHORITY_COUNTRY.get(list_name, "cn")],
        "startDate": [entity.list_date],
        "status": [entity.status],
        "reason": [entity.text("reason", "license_requirement")],
        "provisions": [*entity.values("measures"), entity.text("license_policy")],
        "recordId": [record.key],
        "authorityId": [*entity.values("citations"), entity.text("listed_by")],
        "sourceUrl": _urls(entity),
        "retrievedAt": [version.seen_at],
        "summary": [
            f"raw sha256 {version.raw_sha256}; reported by {', '.join(entity.reported_by)}"
        ],
    }
    return {
        "id": entity_id(list_name, record.key, "sanction"),
        "schema": "Sanction",
        "properties": _compact(props),
    }


def _urls(entity: ExportedEntity) -> list[str]:
    return list(dict.fromkeys(u for u in (entity.text("url"), entity.version.url) if u))


def _compact(props: dict[str, list[str]]) -> dict[str, list[str]]:
    """Drop empty values and empty properties (FtM has no empty strings)."""
    kept = {name: list(dict.fromkeys(v for v in values if v)) for name, values in props.items()}
    return {name: values for name, values in kept.items() if values}


def _by(entity: ExportedEntity) -> str:
    return ", ".join(entity.reported_by)
