"""Side by side with urlwatch on the same locally served sources.

Both tools watch the same SYNTHETIC 3,500-row CSL-format file and the MOFCOM
fixture mirror (ecmon through its MOFCOM source: list API and article pages;
urlwatch a list-API page and one article page, which is what a urlwatch user
would configure). Each cycle is a whole process, as cron would start it:
cold (empty state) and warm (nothing changed). Then the CSL file changes (1%
churn) and both report it: urlwatch as a line diff, ecmon as typed changes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import measure
import synth

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MOFCOM = "cn_mofcom_announcements"
ARTICLE = "www/zwgk/zcfb/art/2025/art_c6b190344a154e6f831e0fdfc190e41e.html"


def available() -> bool:
    return (BIN / "urlwatch").exists()


def _ecmon_config(folder: Path, server_url: str) -> Path:
    sys.path.insert(0, str(ROOT))
    from monitor.sources import REGISTRY

    mirror = f"{server_url}/{MOFCOM}/after"
    tables = {
        "us_csl_entity_list": f'url = "{server_url}/csl.csv"\nmin_records = 1\n',
        MOFCOM: f'url = "{mirror}/www"\nmin_records = 1\nhosts = {{ aqygzj = "{mirror}/aqygzj" }}\n',
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
        str(BIN / "urlwatch"), "--urls", str(folder / "urls.yaml"),
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


def scenario(warm_runs: int) -> tuple[list[str], str]:
    sys.path.insert(0, str(ROOT))
    from monitor.testing.fixture_server import FixtureServer

    base = [synth.row(n) for n in range(3_500)]
    with (
        tempfile.TemporaryDirectory(prefix="ecmon-vs-urlwatch-") as tmp,
        FixtureServer(root=ROOT / "fixtures") as server,
    ):
        folder = Path(tmp)
        server.set_route("/csl.csv", synth.csv_bytes(base))
        env = {"HOME": str(folder), "PATH": str(BIN)}
        ecmon = [str(BIN / "ecmon"), "--config", str(_ecmon_config(folder, server.url))]
        urlwatch = _urlwatch_files(folder, server.url, _first_list_url(server.url))
        cold = {
            "ecmon": measure.run([*ecmon, "run"], env=env),
            "urlwatch": measure.run(urlwatch, env=env),
        }
        warm: dict[str, list[measure.Measured]] = {"ecmon": [], "urlwatch": []}
        for _ in range(warm_runs):
            warm["ecmon"].append(measure.run([*ecmon, "run"], env=env))
            warm["urlwatch"].append(measure.run(urlwatch, env=env))
        server.set_route("/csl.csv", synth.csv_bytes(synth.churned(base, 3_500, 0.01, seed=7)))
        changed_urlwatch = measure.run(urlwatch, env=env)
        measure.run([*ecmon, "run"], env=env)
        changed_ecmon = measure.run([*ecmon, "diff", "--source", "us_csl_entity_list"], env=env)
        shutil.rmtree(folder, ignore_errors=True)
    return _rows(cold, warm), _report(changed_urlwatch.stdout, changed_ecmon.stdout)


def _rows(cold: dict[str, measure.Measured], warm: dict[str, list[measure.Measured]]) -> list[str]:
    e_warm = measure.Stat.of([m.seconds for m in warm["ecmon"]])
    u_warm = measure.Stat.of([m.seconds for m in warm["urlwatch"]])
    return [
        f"| cold cycle, s | {cold['ecmon'].seconds:.3f} | {cold['urlwatch'].seconds:.3f} | "
        f"{cold['ecmon'].seconds / cold['urlwatch'].seconds:.2f} |",
        f"| warm cycle, s (median of {e_warm.runs}) | {e_warm.median:.3f} ({e_warm.low:.3f}–{e_warm.high:.3f}) | "
        f"{u_warm.median:.3f} ({u_warm.low:.3f}–{u_warm.high:.3f}) | {e_warm.median / u_warm.median:.2f} |",
        f"| peak RSS, MB (warm) | {max(m.peak_mb for m in warm['ecmon']):.1f} | "
        f"{max(m.peak_mb for m in warm['urlwatch']):.1f} | "
        f"{max(m.peak_mb for m in warm['ecmon']) / max(m.peak_mb for m in warm['urlwatch']):.2f} |",
        f"| peak RSS, MB (cold) | {cold['ecmon'].peak_mb:.1f} | {cold['urlwatch'].peak_mb:.1f} | "
        f"{cold['ecmon'].peak_mb / cold['urlwatch'].peak_mb:.2f} |",
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
