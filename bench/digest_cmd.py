"""The real ``ecmon digest`` as a user runs it: a whole process over a stored database.

A 3,500-entry SYNTHETIC list is stored as a baseline, then a file with 1,000
changes (400 added, 300 modified, 300 removed) is run, and ``ecmon digest``
renders the pending changes (text) in a fresh process each time: interpreter
start, imports, config, reading the changes and the analysis (sector tags,
links, watchlist) and rendering. Each digest is paired with a no-change
``ecmon run`` (304) right after it, so the ratio digest / no-change run sees
the same machine load. The render-only figure of section 4 leaves all of that
out, which is why it reads far smaller.

The first digest after the run computes the sector tags of the 1,000 changes and
stores them (``monitor.store.tags``); the digests after it read them. The first
is reported on its own line; the medians are of the digests after it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import measure
import steady
import synth

ROOT = Path(__file__).resolve().parent.parent
ECMON = measure.tool("ecmon")
CSL = "us_csl_entity_list"


def thousand_changes(size: int = 3_500) -> tuple[bytes, bytes]:
    base = [synth.row(n) for n in range(size)]
    after = [synth.row(n, 1) if n < 300 else r for n, r in enumerate(base) if not 300 <= n < 600]
    after += [synth.row(size + n) for n in range(400)]
    return synth.csv_bytes(base), synth.csv_bytes(after)


def scenario(runs: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from monitor.testing.fixture_server import FixtureServer

    base, after = thousand_changes()
    with tempfile.TemporaryDirectory(prefix="ecmon-digest-") as tmp, FixtureServer() as server:
        folder = Path(tmp)
        config = steady.write_config(
            folder / "c.toml",
            folder / "d.db",
            {CSL: server.url_for("/csl.csv")},
            max_shrink=0.5,
            max_removed=1000,  # 300 removals at once: above the real lists' default cap
        )
        ecmon = [ECMON, "--config", str(config)]
        server.set_route("/csl.csv", base)
        measure.run([*ecmon, "run"])
        server.set_route("/csl.csv", after)
        changed = measure.run([*ecmon, "run"])
        if "300 modified" not in changed.stdout:
            raise SystemExit(f"digest setup: expected 1,000 changes, got {changed.stdout}")
        load_before = measure.load()
        first = measure.run([*ecmon, "digest", "--output", str(folder / "digest.txt")])
        first_idle = measure.run([*ecmon, "run"])
        if first.returncode != 0:
            raise SystemExit(f"digest run failed: {first.stdout}")
        digests, idle = [], []
        for _ in range(runs):
            digests.append(measure.run([*ecmon, "digest", "--output", str(folder / "digest.txt")]))
            idle.append(measure.run([*ecmon, "run"]))
            if digests[-1].returncode != 0 or "not modified" not in idle[-1].stdout:
                raise SystemExit(f"digest run failed: {digests[-1].stdout} / {idle[-1].stdout}")
        text = (folder / "digest.txt").read_text(encoding="utf-8")
        load_after = measure.load()
    ratio = measure.Stat.of([d.seconds / i.seconds for d, i in zip(digests, idle, strict=True)])
    # CPU seconds move much less with other people's load than wall time (measure.py).
    cpu_ratio = measure.Stat.of(
        [d.cpu_seconds / i.cpu_seconds for d, i in zip(digests, idle, strict=True)]
    )
    wall = measure.Stat.of([d.seconds for d in digests])
    rows = [
        f"| 1,000 | first `ecmon digest` (tags computed and stored), wall s"
        f" | {first.seconds:.3f} | | | 1 |",
        f"| 1,000 | first `ecmon digest`, CPU s | {first.cpu_seconds:.3f} | | | 1 |",
        f"| 1,000 | first digest / no-change run (paired) | {first.seconds / first_idle.seconds:.2f}"
        " | | | 1 |",
        f"| 1,000 | `ecmon digest` whole process, wall s | {wall.cells()} |",
        f"| 1,000 | `ecmon digest` CPU s | {measure.Stat.of([d.cpu_seconds for d in digests]).cells()} |",
        f"| 1,000 | `ecmon digest` peak RSS MB | {measure.Stat.of([d.peak_mb for d in digests]).cells()} |",
        f"| 1,000 | no-change `ecmon run` (304), wall s | {measure.Stat.of([i.seconds for i in idle]).cells()} |",
        f"| 1,000 | no-change `ecmon run` (304), CPU s"
        f" | {measure.Stat.of([i.cpu_seconds for i in idle]).cells()} |",
        f"| 1,000 | digest / no-change run (paired) | {ratio.cells('.2f')} |",
        f"| 1,000 | digest / no-change run, CPU s (paired) | {cpu_ratio.cells('.2f')} |",
        f"| 1,000 | digest text, lines | {len(text.splitlines())} | | | 1 |",
        f"| 1,000 | load average before / after | {load_before} / {load_after} | | | |",
    ]
    figures = {
        "digest_vs_idle": ratio.median,
        "digest_s": wall.median,
        "first_digest_vs_idle": first.seconds / first_idle.seconds,
        "digest_vs_idle_cpu": cpu_ratio.median,
    }
    return {"rows": rows, "figures": figures}
