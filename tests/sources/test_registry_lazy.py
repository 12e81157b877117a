"""The registry imports a source's parser only when that source is looked up: a run of
one source (and every command's configuration) never loads the others' parsers."""

from __future__ import annotations

import json
import subprocess
import sys

from monitor.sources import INFOS, REGISTRY, default_settings

PROBE = """
import json, sys
import monitor.cli.main
from monitor.sources import REGISTRY, default_settings
default_settings()
REGISTRY["us_csl_entity_list"]
print(json.dumps(sorted(m for m in sys.modules if m.startswith("monitor.sources."))))
"""


def test_only_the_looked_up_source_is_imported() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert "monitor.sources.csl.source" in loaded
    others = ("ecfr", "federal_register", "mofcom")
    # Only the other sources' packages and static facts (MOFCOM's come from its options).
    facts = {"info", "options"}
    parts = [m.split(".") for m in loaded if m.split(".")[2] in others]
    assert [p for p in parts if len(p) > 3 and p[3] not in facts] == []
    assert ["monitor", "sources", "mofcom", "info"] in parts


def test_every_entry_builds_the_source_its_info_names() -> None:
    assert list(REGISTRY) == list(INFOS) == list(default_settings())
    for name, info in INFOS.items():
        assert REGISTRY[name].info is info
    assert REGISTRY.get("no_such_source") is None
