"""Side by side with urlwatch on the same locally served sources.

Both tools watch the same SYNTHETIC 3,500-row CSL-format file and the MOFCOM
fixture mirror (ecmon through its MOFCOM source: list API and article pages;
urlwatch a list-API page and one article page, which is what a urlwatch user
would configure). Each cycle is a whole process, as cron would start it:
cold (empty state) and warm (nothing changed). Then the CSL file changes (1%
churn) and both report it: urlwatch as a line diff, ecmon as typed changes.

Also: the same bytes answered 200 without validators (a server without ETags),
30 change cycles (1% churn each) and the state both keep after them, and a
20,000-row file's 1% change cycle. Every figure is a pair: urlwatch, then ecmon,
one right after the other, so a ratio sees the machine's load of that moment.
Ratios are medians of the per-pair ratios.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import measure
import steady
import synth

ROOT = Path(__file__).resolve().parent.parent
ECMON = measure.tool("ecmon")
URLWATCH = measure.tool("urlwatch")
MOFCOM = "cn_mofcom_announcements"
ARTICLE = "www/zwgk/zcfb/art/2025/art_c6b190344a154e6f831e0fdfc190e41e.html"


def available() -> bool:
    return Path(URLWATCH).exists()


def _ecmon_config(folder: Path, server_url: str) -> Path:
    sys.path.insert(0, str(ROOT))
    from monitor.sources import REGISTRY

    mirror = f"{server_url}/{MOFCOM}/after"
    tables = {
        "us_csl_entity_list": f'url = "{server_url}/csl.csv"\nmin_records = 1\n'
        "max_records = 10000000\n",
        MOFCOM: f'url = "{mirror}/www"\nmin_records = 1\nhosts = {{ aqygzj = "{mirror}/aqygzj",'
        f' exportcontrol = "{server_url}/cn_mofcom_exportcontrol" }}\n',
    }
    text = f'database = "{folder / "ecmon.db"}"\n' + "".join(
        f"[sources.{name}]\n" + tables.get(name, "enabled = false\n") for name in REGISTRY
    )
    (folder / "ecmon.toml").write_text(text, encoding="utf-8")
    return folder / "ecmon.toml"


def _urlwatch_files(folder: Path, server_url: str, list_url: str) -> list[str]:
    jobs = [
        ("csl", f"{server_url}/csl.csv"),
        ("mofcom-list", list_url),
        ("mofcom-article", f"{server_url}/{MOFCOM}/after/{ARTICLE}"),
    ]
    (folder / "urls.yaml").write_text(
        "---\n".join(f"name: {name}\nurl: {url}\n" for name, url in jobs), encoding="utf-8"
    )
    return [
        URLWATCH, "--urls", str(folder / "urls.yaml"),
        "--config", str(folder / "urlwatch.yaml"), "--cache", str(folder / "cache.db"),
        "--hooks", str(folder / "hooks.py"),
    ]  # fmt: skip


def _first_list_url(server_url: str) -> str:
    """The policy index's first list-API page, as the MOFCOM source asks for it."""
    queries = ROOT / "fixtures" / MOFCOM / "after" / "_queries.json"
    import json

    for target in json.loads(queries.read_text(encoding="utf-8")):
        if "www_policy" in json.loads(queries.read_text(encoding="utf-8"))[target]:
            return f"{server_url}/{MOFCOM}/after{target}"
    raise SystemExit("no policy list page in the MOFCOM mirror")


def _tools(folder: Path, server_url: str) -> tuple[list[str], list[str], dict[str, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(folder), "PATH": str(Path(URLWATCH).parent)}
    ecmon = [ECMON, "--config", str(_ecmon_config(folder, server_url))]
    return ecmon, _urlwatch_files(folder, server_url, _first_list_url(server_url)), env


Pairs = dict[str, list[measure.Measured]]


def _paired(ecmon: list[str], urlwatch: list[str], env: dict[str, str], runs: int,
            between: Callable[[int], None] = lambda _: None) -> Pairs:  # fmt: skip
    """``runs`` cycles of each tool, one right after the other (same load)."""
    got: Pairs = {"ecmon": [], "urlwatch": []}
    for i in range(runs):
        between(i)
        got["urlwatch"].append(measure.run(urlwatch, env=env))
        got["ecmon"].append(measure.run([*ecmon, "run"], env=env))
        if got["ecmon"][-1].returncode != 0:
            raise SystemExit(f"ecmon run failed: {got['ecmon'][-1].stdout}")
    return got


def scenario(warm_runs: int, cycles: int = 30, big_rows: int = 20_000) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from monitor.testing.fixture_server import FixtureServer

    base = [synth.row(n) for n in range(3_500)]
    rows: list[str] = []
    figures: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="ecmon-vs-urlwatch-") as tmp,
        FixtureServer(root=ROOT / "fixtures") as server,
    ):
        folder = Path(tmp) / "small"
        server.set_route("/csl.csv", synth.csv_bytes(base))
        ecmon, urlwatch, env = _tools(folder, server.url)
        load = measure.load()
        cold = _paired(ecmon, urlwatch, env, 1)
        warm = _paired(ecmon, urlwatch, env, warm_runs)
        rows += _rows("cold cycle (empty state)", cold, figures, "cold")
        rows += _rows("no-change cycle, HTTP 304", warm, figures, "304")
        # The same bytes again with a 200 and no validators: a server without ETags.
        server.set_route("/csl.csv", synth.csv_bytes(base), headers={"ETag": ""})
        same = _paired(ecmon, urlwatch, env, warm_runs)
        rows += _rows("no-change cycle, 200 with the same bytes", same, figures, "same200")
        server.set_route("/csl.csv", synth.csv_bytes(synth.churned(base, 3_500, 0.01, seed=7)))
        changed_urlwatch = measure.run(urlwatch, env=env)
        measure.run([*ecmon, "run"], env=env)
        changed_ecmon = measure.run([*ecmon, "diff", "--source", "us_csl_entity_list"], env=env)

        def churn(i: int) -> None:
            server.set_route("/csl.csv", synth.csv_bytes(synth.churned(base, 3_500, 0.01, seed=i)))

        churns = _paired(ecmon, urlwatch, env, cycles, churn)
        rows += _rows("3,500 rows, 1% change cycle", churns, figures, "change3500")
        rows += _state_rows(folder, cycles + 2 * warm_runs + 2, figures)
        rows += _big_cycle(Path(tmp) / "big", server, big_rows, warm_runs, figures)
        rows.append(f"| load average before / after | {load} / {measure.load()} | | |")
        shutil.rmtree(tmp, ignore_errors=True)
    return {"rows": rows, "report": _report(changed_urlwatch.stdout, changed_ecmon.stdout),
            "figures": figures}  # fmt: skip


def _big_cycle(
    folder: Path, server: Any, size: int, runs: int, figures: dict[str, float]
) -> list[str]:
    """``size`` rows: both tools take the base as first sight, then 1% change cycles."""
    base = [synth.row(n) for n in range(size)]
    versions = [synth.csv_bytes(base), synth.csv_bytes(synth.churned(base, size, 0.01, seed=9))]
    server.set_route("/csl.csv", versions[0])
    ecmon, urlwatch, env = _tools(folder, server.url)
    _paired(ecmon, urlwatch, env, 1)
    cycles = _paired(ecmon, urlwatch, env, max(3, runs // 3),
                     lambda i: server.set_route("/csl.csv", versions[(i + 1) % 2]))  # fmt: skip
    name = "change20k" if size == 20_000 else f"change{size}"
    return _rows(f"{size:,} rows, 1% change cycle", cycles, figures, name)


def _state_rows(folder: Path, cycles: int, figures: dict[str, float]) -> list[str]:
    """Bytes each tool keeps after the cycles so far (live SQLite pages)."""
    ours = steady.live_bytes(folder / "ecmon.db")
    theirs = steady.live_bytes(folder / "cache.db")
    figures["state_ratio"] = ours / theirs
    return [f"| stored state after {cycles} cycles, MB | {ours / 1e6:.2f} | {theirs / 1e6:.2f} | "
            f"{ours / theirs:.2f} |"]  # fmt: skip


def _rows(label: str, got: Pairs, figures: dict[str, float], name: str) -> list[str]:
    e, u = got["ecmon"], got["urlwatch"]
    wall = measure.Stat.of([a.seconds / b.seconds for a, b in zip(e, u, strict=True)])
    cpu = measure.Stat.of([a.cpu_seconds / b.cpu_seconds for a, b in zip(e, u, strict=True)])
    figures[f"{name}_wall_ratio"] = wall.median
    figures[f"{name}_ecmon_s"] = measure.Stat.of([a.seconds for a in e]).median
    runs = f" (median of {len(e)})" if len(e) > 1 else ""
    return [
        f"| {label}, wall s{runs} | {measure.Stat.of([a.seconds for a in e]).short()} | "
        f"{measure.Stat.of([b.seconds for b in u]).short()} | {wall.short('.2f')} |",
        f"| {label}, CPU s | {measure.Stat.of([a.cpu_seconds for a in e]).short()} | "
        f"{measure.Stat.of([b.cpu_seconds for b in u]).short()} | {cpu.short('.2f')} |",
        f"| {label}, peak RSS MB | {max(a.peak_mb for a in e):.1f} | "
        f"{max(b.peak_mb for b in u):.1f} | {max(a.peak_mb for a in e) / max(b.peak_mb for b in u):.2f} |",
    ]


def _report(urlwatch_out: str, ecmon_out: str) -> str:
    diff_lines = [
        line
        for line in urlwatch_out.splitlines()
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    summary = next((line for line in ecmon_out.splitlines() if line.startswith("Summary:")), "")
    return "\n".join([
        f"For the same 1% churn of the CSL file, urlwatch reported {len(diff_lines)} changed lines "
        f"(a unified diff of raw CSV rows, a modified row appearing as one removed and one added line); "
        f"ecmon reported: {summary.removeprefix('Summary: ')} (typed changes with field labels).",
        "", "First lines of each report:", "", "```text", "urlwatch:",
        *_cut(urlwatch_out.splitlines()[:12]), "", "ecmon:", *_cut(ecmon_out.splitlines()[:16]),
        "```",
    ])  # fmt: skip


def _cut(lines: list[str], width: int = 140) -> list[str]:
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines]
