"""A record's stored JSON and content hash, as computed for speed (one C encoder built once,
no copy of the fields, no sort of a lone value), equal the plain definitions they replace:
``json.dumps`` of ``Record.to_dict()``, and sha256 over the canonical JSON of the content
with every multi-valued field sorted. Any difference would read every record as changed."""

from __future__ import annotations

import hashlib
import json
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.models import FieldValue, Record, canonical_json

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
VALUE: st.SearchStrategy[FieldValue] = st.one_of(TEXT, st.lists(TEXT, max_size=4).map(tuple))


def plain_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def plain_hash(record: Record) -> str:
    body = {
        "list": record.list_name,
        "name": record.name,
        "country": record.country,
        "fields": {
            k: sorted(v) if isinstance(v, tuple) else v for k, v in record.fields.items()
        },
    }
    return hashlib.sha256(plain_json(body).encode()).hexdigest()


@settings(max_examples=300, deadline=None)
@given(
    key=TEXT,
    names=st.tuples(TEXT, TEXT, TEXT),
    fields=st.dictionaries(TEXT, VALUE, max_size=6),
    meta=st.dictionaries(TEXT, TEXT, max_size=3),
    frozen=st.booleans(),
)
def test_stored_json_and_hash_equal_their_plain_definitions(
    key: str,
    names: tuple[str, str, str],
    fields: dict[str, FieldValue],
    meta: dict[str, str],
    frozen: bool,
) -> None:
    record = Record(
        key=key,
        list_name=names[0],
        name=names[1],
        country=names[2],
        fields=MappingProxyType(fields) if frozen else fields,
        meta=MappingProxyType(meta) if frozen else meta,
    )
    assert record.to_json() == plain_json(record.to_dict())
    assert canonical_json(record.to_dict()) == plain_json(record.to_dict())
    assert record.content_hash == plain_hash(record)
    assert Record.from_dict(json.loads(record.to_json())) == record
    # The store's one-pass form (fields encoded once for both when already in order), on a
    # record whose hash is not yet cached, and on one whose hash is.
    twin = Record.from_dict(record.to_dict())
    assert twin.json_and_hash() == (plain_json(record.to_dict()), plain_hash(record))
    assert record.json_and_hash() == (plain_json(record.to_dict()), plain_hash(record))


@settings(max_examples=200, deadline=None)
@given(
    fields=st.dictionaries(TEXT, st.lists(TEXT, min_size=2, max_size=4), max_size=4),
    order=st.booleans(),
)
def test_multi_valued_fields_in_order_or_not_hash_as_sorted(
    fields: dict[str, list[str]], order: bool
) -> None:
    """Fields already in order share the stored encoding; the others are sorted first."""
    given_fields: dict[str, FieldValue] = {
        k: tuple(sorted(v)) if order else tuple(v) for k, v in fields.items()
    }
    record = Record("k", "el", "N", "CN", given_fields)
    reversed_fields = {k: tuple(reversed(v)) for k, v in given_fields.items()}
    shuffled = Record("k", "el", "N", "CN", reversed_fields)
    assert record.json_and_hash()[1] == plain_hash(record) == shuffled.content_hash


def test_a_field_name_or_value_that_looks_like_another_member_does_not_confuse_the_hash() -> None:
    """The hashed JSON is the stored JSON with each out-of-order list rewritten in place;
    names and values that spell a member's text inside a string are not that member."""
    fields: dict[str, FieldValue] = {
        'x"aliases': ("b", "a"),
        "aliases": ("z", ',"aliases":["z","a"]', "a"),
        "remarks": '{"aliases":["z","a"]}',
        "a,": (',"a,":["d","c"]', "c"),
    }
    record = Record("k", "el", "N", "CN", fields)
    twin = Record.from_dict(record.to_dict())
    assert twin.json_and_hash() == (plain_json(record.to_dict()), plain_hash(record))
    assert record.content_hash == plain_hash(record)
