"""The packed stored form of a record (``codec.pack_json``): it reads back to the same
JSON text, byte for byte, whatever the text holds; a value that is not of the known format
is refused, never read as some other record; the dictionary it rests on is pinned."""

from __future__ import annotations

import hashlib
import json
import random
import zlib

import pytest

from monitor.errors import StoreError
from monitor.models import Record
from monitor.store import codec
from monitor.store.zdict import RECORD_ZDICT_V1

# Every record of format 1 ever stored needs exactly these dictionary bytes.
ZDICT_V1_SHA256 = "3019045de92252ba5ab7a7bde60c4d362d7e02f7ad7c7cec2b13baa3a1011be8"

CSL = Record(
    key="sino-ic-technology|CN",
    list_name="el",
    name="Sino IC Technology",
    country="CN",
    fields={
        "addresses": ("No. 1 Road, Pudong, Shanghai, CN", "2 Street, Beijing, CN"),
        "aliases": ("Sino IC", "中国集成电路"),
        "citations": ("89 FR 2157",),
        "license_requirement": "For all items subject to the EAR.  (See §744.11 of the EAR)",
        "license_policy": "Presumption of denial.",
        "remarks": "",
    },
    meta={"row_id": "abc", "source_list_url": "https://example.test/list"},
)


def test_dictionary_of_format_1_never_changes() -> None:
    assert hashlib.sha256(RECORD_ZDICT_V1).hexdigest() == ZDICT_V1_SHA256


def test_a_record_reads_back_exactly_and_is_stored_smaller() -> None:
    text = codec.record_json(CSL)
    packed = codec.record_blob(CSL)
    assert codec.unpack_json(packed) == text
    assert codec.record_from_blob(packed) == CSL
    assert len(packed) < len(text.encode()) / 2


def test_any_text_reads_back_byte_for_byte() -> None:
    rng = random.Random(17)
    alphabet = "abc XYZ,;\"\\\n\t{}[]§“”中国集成电路\u0000\U0001f600"
    for size in (0, 1, 50, 3000, 70_000):  # past the window and the dictionary
        text = "".join(rng.choice(alphabet) for _ in range(size))
        assert codec.unpack_json(codec.pack_json(text)) == text


def test_another_format_or_a_cut_value_is_refused() -> None:
    packed = codec.record_blob(CSL)
    with pytest.raises(StoreError, match="unknown format"):
        codec.unpack_json(json.dumps(CSL.to_dict()).encode())
    with pytest.raises(StoreError, match="unknown format"):
        codec.unpack_json(b"\x02" + packed[1:])
    with pytest.raises(StoreError, match="cut short"):
        codec.unpack_json(packed[:-4])


def test_it_unpacks_with_the_dictionary_alone() -> None:
    """Format 1 is raw deflate against the dictionary: any zlib reads it (what the
    Datasette plugin and a reader outside ecmon rely on)."""
    packed = codec.record_blob(CSL)
    plain = zlib.decompressobj(-15, zdict=RECORD_ZDICT_V1)
    assert plain.decompress(packed[1:]).decode() == codec.record_json(CSL)
