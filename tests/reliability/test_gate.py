"""The sanity gate and the review of what it holds (issue 16 defect 3, issue 15).

Each scenario serves a synthetic CSL file (the real 29-column layout, made-up rows named
"GATE TEST ENTITY nnnnn") from a local server: a baseline is accepted, then a publication
that looks broken is served. The gate must hold it (outcome ``suspect``, nothing diffed,
the accepted state untouched); a clean publication after it must not report the held
damage back as re-additions. A control scenario checks that a realistic update is still
accepted. The review scenarios hold a 30% shrink and decide it with ``ecmon review``,
``accept`` and ``reject`` through the real CLI.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import main
from monitor.config import GateSettings, Settings
from monitor.http import HttpClient
from monitor.models import RunOutcome, RunSummary
from monitor.pipeline import RunContext, run_sources
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.reliability import report
from tests.reliability.harness import scrub
from tests.reliability.rogue import RogueServer
from tests.support import CSL, csl_settings, write_config

HEADER = [
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
]  # fmt: skip
LISTS = {
    "EL": "Entity List (EL) - Bureau of Industry and Security",
    "MEU": "Military End User (MEU) List - Bureau of Industry and Security",
}
COUNTRIES = ("CN", "HK", "RU", "IR", "AE")
PATH = "/consolidated.csv"
Row = dict[str, str]


def row(n: int, code: str = "EL") -> Row:
    """Made-up entity ``n`` of list ``code`` (every value synthetic)."""
    country = COUNTRIES[n % len(COUNTRIES)]
    cells = dict.fromkeys(HEADER, "")
    cells.update(
        _id=f"{code}{n:030d}",
        source=LISTS[code],
        name=f"GATE TEST ENTITY {code} {n:05d} Co., Ltd.",
        addresses=f"No. {n} Test Road, Test City, {country}",
        federal_register_notice=f"{80 + n % 9} FR {10000 + n}",
        start_date=f"2020-0{1 + n % 9}-1{n % 9}",
        license_requirement="For all items subject to the EAR.",
        license_policy="Presumption of denial.",
        alt_names=f"GATE ALIAS {code} {n:05d}",
    )
    return cells


def csv_bytes(rows: list[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def rows_of(el: int, meu: int = 0) -> list[Row]:
    return [row(n) for n in range(el)] + [row(n, "MEU") for n in range(meu)]


def edited(rows: list[Row], **values: Callable[[str], str]) -> list[Row]:
    """Every row with each named column passed through its function."""
    return [{**r, **{col: fn(r[col]) for col, fn in values.items()}} for r in rows]


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        yield running


def settings(db: Path, server: FixtureServer, lists: tuple[str, ...] = ("EL",)) -> Settings:
    """Production gate limits (max_shrink 5%, ``[gate]`` defaults), the CSL source reading
    ``lists``."""
    base = csl_settings(db, server.url_for(PATH), max_shrink=0.05)
    own = replace(base.source(CSL), lists=lists)
    return replace(base, sources={CSL: own}, gate=GateSettings())


def run(
    store: Store, conf: Settings, server: FixtureServer, body: bytes, at: datetime | None = None
) -> RunSummary:
    server.set_route(PATH, body)
    clock = (lambda: at) if at is not None else None
    with HttpClient(conf.http, sleep=lambda _s: None) as client:
        ctx = RunContext(conf, store, client)
        if clock is not None:
            ctx = replace(ctx, clock=clock)
        [summary] = run_sources(ctx, [CSL])
    return summary


def _row(scenario: str, injected: str, expected: str) -> report.Row:
    return report.record(report.Row("gate", CSL, scenario, injected, expected, "-"))


def _state(store: Store) -> dict[str, str]:
    return {k: r.content_hash for k, r in store.accepted_records(CSL).items()}


def _hold_case(
    tmp_path: Path,
    server: FixtureServer,
    scenario: str,
    injected: str,
    before: list[Row],
    broken: list[Row],
    fragment: str,
    lists: tuple[str, ...] = ("EL",),
) -> None:
    """Baseline ``before``; ``broken`` must be held with ``fragment`` in its reason, the
    state untouched, and serving ``before`` again must record nothing."""
    line = _row(scenario, injected, f"suspect ({fragment})")
    db = tmp_path / "gate.db"
    conf = settings(db, server, lists)
    with Store.open(db) as store:
        assert run(store, conf, server, csv_bytes(before)).outcome is RunOutcome.BASELINE
        accepted = _state(store)
        held = run(store, conf, server, csv_bytes(broken))
        line.observed = f"{held.outcome.value}: {held.message}"
        line.false_changes = len(store.changes())
        line.state_intact = _state(store) == accepted
        assert held.outcome is RunOutcome.SUSPECT, held
        assert fragment in held.message
        after = run(store, conf, server, csv_bytes(before))
        line.false_changes = len(store.changes())
        assert after.outcome in (RunOutcome.UNCHANGED, RunOutcome.NOT_MODIFIED), after
        assert line.false_changes == 0 and line.state_intact
    line.passed = True


def test_file_cut_at_a_row_boundary_is_held(tmp_path: Path, server: FixtureServer) -> None:
    before = rows_of(20_000)
    _hold_case(
        tmp_path,
        server,
        "file cut at a row boundary",
        "20,000 EL rows, the last 900 cut off at a row boundary (HTTP complete, 4.5%)",
        before,
        before[:-900],
        "more than the allowed 250",
    )


def test_half_of_a_small_list_vanishing_is_held(tmp_path: Path, server: FixtureServer) -> None:
    before = rows_of(2_000, meu=70)
    _hold_case(
        tmp_path,
        server,
        "half of a small list vanishing",
        "35 of 70 MEU rows gone beside 2,000 EL rows (1.7% of the source)",
        before,
        before[:-35],
        "35 of 70 MEU records (50%)",
        lists=("EL", "MEU"),
    )


@pytest.mark.parametrize(
    ("column", "field"),
    [("license_policy", "license_policy"), ("federal_register_notice", "citations")],
)
def test_a_column_going_blank_is_held(
    tmp_path: Path, server: FixtureServer, column: str, field: str
) -> None:
    before = rows_of(2_000)
    _hold_case(
        tmp_path,
        server,
        f"{column} blank in every row",
        f"the {column} column empty in all 2,000 EL rows",
        before,
        edited(before, **{column: lambda _v: ""}),
        f"field {field!r} would go blank in 2000 of 2000 EL records",
    )


def test_addresses_going_blank_is_held(tmp_path: Path, server: FixtureServer) -> None:
    """The country comes from the address: every record moves to no country as well."""
    before = rows_of(2_000)
    _hold_case(
        tmp_path,
        server,
        "addresses blank in every row",
        "the addresses column empty in all 2,000 EL rows",
        before,
        edited(before, addresses=lambda _v: ""),
        "field 'addresses' would go blank in 2000 of 2000 EL records",
    )


def test_every_name_upper_cased_is_held(tmp_path: Path, server: FixtureServer) -> None:
    before = rows_of(2_000)
    _hold_case(
        tmp_path,
        server,
        "every name upper-cased",
        "all 2,000 EL names upper-cased (2,000 modifications of one field)",
        before,
        edited(before, name=str.upper),
        "would change field 'name' of 2000 of 2000 EL records (100%)",
    )


def test_cumulative_loss_over_the_window_is_held(tmp_path: Path, server: FixtureServer) -> None:
    """4% removed per run (under max_shrink 5%) is held once the 7-day window passes 10%;
    the same removals spread over more than the window are not."""
    line = _row(
        "4% removed per run for 5 runs",
        "500 EL rows, 20 removed per run, one run a day",
        "suspect by the 3rd run (over 10% in 7 days); runs 8 days apart accepted",
    )
    db = tmp_path / "window.db"
    conf = settings(db, server)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    outcomes = []
    with Store.open(db) as store:
        rows = rows_of(500)
        run(store, conf, server, csv_bytes(rows), at=start)
        for day in range(1, 6):
            summary = run(
                store, conf, server, csv_bytes(rows[: -20 * day]), at=start + timedelta(day)
            )
            outcomes.append(summary.outcome.value)
            if summary.outcome is RunOutcome.SUSPECT:
                assert "within 7 days" in summary.message, summary
                break
        assert outcomes == ["changed", "changed", "suspect"], outcomes
    # The same 4% steps 8 days apart: each window holds one run's removals only.
    spaced = tmp_path / "spaced.db"
    with Store.open(spaced) as store:
        run(store, settings(spaced, server), server, csv_bytes(rows), at=start)
        spaced_outcomes = [
            run(
                store,
                settings(spaced, server),
                server,
                csv_bytes(rows[: -20 * k]),
                at=start + timedelta(days=8 * k),
            ).outcome.value
            for k in range(1, 6)
        ]
    line.observed = f"daily: {', '.join(outcomes)}; 8 days apart: {', '.join(spaced_outcomes)}"
    assert spaced_outcomes == ["changed"] * 5
    line.passed = True


def test_a_realistic_update_is_accepted(tmp_path: Path, server: FixtureServer) -> None:
    line = _row(
        "control: a realistic update",
        "2,000 EL + 70 MEU rows; 12 added, 3 removed, 8 with a new citation",
        "changed (12 added, 8 modified, 3 removed)",
    )
    before = rows_of(2_000, meu=70)
    after = [
        {**r, "federal_register_notice": r["federal_register_notice"] + "; 90 FR 44444"}
        if i < 8
        else r
        for i, r in enumerate(before[3:])
    ] + [row(5_000 + n) for n in range(12)]
    db = tmp_path / "control.db"
    conf = settings(db, server, ("EL", "MEU"))
    with Store.open(db) as store:
        run(store, conf, server, csv_bytes(before))
        summary = run(store, conf, server, csv_bytes(after))
    line.observed = f"{summary.outcome.value}: {summary.message}"
    assert summary.outcome is RunOutcome.CHANGED, summary
    assert (summary.added, summary.modified, summary.removed) == (12, 8, 3)
    line.passed = True


# ---------------------------------------------------------------------- review round trip


def _cli(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def held_shrink(tmp_path: Path, server: FixtureServer) -> tuple[Path, Path, list[Row], int]:
    """A database whose baseline is 200 EL rows and whose last run held a 30% shrink."""
    db = tmp_path / "review.db"
    config = write_config(tmp_path / "ecmon.toml", db, server.url_for(PATH))
    config.write_text(
        config.read_text(encoding="utf-8").replace("max_shrink = 0.25", "max_shrink = 0.05"),
        encoding="utf-8",
    )
    rows = rows_of(200)
    server.set_route(PATH, csv_bytes(rows))
    assert _cli(config, "run")[0] == 0
    server.set_route(PATH, csv_bytes(rows[60:]))
    code, out, _ = _cli(config, "run")
    assert code == 6, out
    held_run = int(out.rsplit("(run ", 1)[1].split(")")[0])
    return db, config, rows, held_run


def test_review_accept_round_trip(held_shrink: tuple[Path, Path, list[Row], int]) -> None:
    line = _row(
        "review and accept a held 30% shrink",
        "200 EL rows, then 60 gone: held; ecmon review, then accept --reason",
        "nothing applied until accepted; then the 60 removals once, in the accepting run",
    )
    db, config, _rows, held_run = held_shrink
    with Store.open(db) as store:
        before = _state(store)
        assert store.changes() == []
    code, text, _ = _cli(config, "review", str(held_run))
    assert code == 0, text
    assert "would remove 60 of 200 records (30%)" in text and text.count("REMOVED") >= 1
    for fmt in ("markdown", "json", "csv"):
        code, body, err = _cli(config, "review", str(held_run), "--format", fmt)
        assert code == 0, body
        if fmt == "json":
            assert json.loads(body)["summary"]["removed"] == 60
            assert "held as suspect" in err
        if fmt == "csv":
            assert len(body.strip().splitlines()) == 61  # header + one row per removal
    with Store.open(db) as store:
        line.state_intact = _state(store) == before
        line.false_changes = len(store.changes())
    assert line.state_intact and line.false_changes == 0
    code, out, _ = _cli(config, "accept", str(held_run), "--reason", "BIS removal rule 2026-1234")
    assert code == 0, out
    accept_run = int(out.rsplit("(run ", 1)[1].split(")")[0])
    with Store.open(db) as store:
        changes = store.changes()
        [accepting] = [r for r in store.runs(CSL) if r["id"] == accept_run]
        assert len(store.accepted_records(CSL)) == 140
    assert [c.change.kind for c in changes] == ["removed"] * 60
    assert {c.provenance.run_id for c in changes} == {accept_run}
    assert accepting["review_of"] == held_run
    assert accepting["review_reason"] == "BIS removal rule 2026-1234"
    code, status, _ = _cli(config, "status")
    assert f"run {held_run} accepted as run {accept_run}" in status
    assert "BIS removal rule 2026-1234" in status
    code, digest, _ = _cli(config, "digest")
    assert code == 0, digest
    assert "BIS removal rule 2026-1234" in digest
    again, out, err = _cli(config, "accept", str(held_run), "--reason", "twice")
    assert again == 2 and "already accepted" in err
    # The same file again: nothing new (the removals are not reported twice).
    assert _cli(config, "run")[0] == 0
    with Store.open(db) as store:
        line.missed_or_doubled = abs(len(store.changes()) - 60)
    line.observed = f"held run {held_run}; accepted as run {accept_run}: 60 removals, once"
    assert line.missed_or_doubled == 0
    line.passed = True


def test_reject_and_supersede(
    held_shrink: tuple[Path, Path, list[Row], int], server: FixtureServer
) -> None:
    line = _row(
        "reject, and a newer good snapshot supersedes",
        "a held 30% shrink rejected; another held, then the full file served again",
        "rejected: never applied; superseded: accept refused",
    )
    db, config, rows, held_run = held_shrink
    code, out, _ = _cli(config, "reject", str(held_run), "--reason", "truncated upload")
    assert code == 0, out
    _code, status, _ = _cli(config, "status")
    assert f"run {held_run} rejected" in status and "truncated upload" in status
    server.set_route(PATH, csv_bytes(rows[50:]))  # another broken file: held again
    code, out, _ = _cli(config, "run")
    second = int(out.rsplit("(run ", 1)[1].split(")")[0])
    assert code == 6
    server.set_route(PATH, csv_bytes(rows[:199]))  # a good one: one real removal
    assert _cli(config, "run")[0] == 0
    code, _out, err = _cli(config, "accept", str(second), "--reason", "late")
    assert code == 2 and "superseded" in err, err
    with Store.open(db) as store:
        kinds = [c.change.kind for c in store.changes()]
    line.observed = f"rejected run {held_run}; run {second} superseded; changes: {len(kinds)}"
    line.false_changes = len(kinds) - 1
    assert kinds == ["removed"]
    line.passed = True


# ------------------------------------------------------------ Content-Length shorter than the body


def test_content_length_shorter_than_the_body_is_refused(tmp_path: Path) -> None:
    """A server declaring a Content-Length that stops at a row boundary, then sending the
    whole file: httpx reads only the declared bytes, which parse as a complete file with
    its last row gone (one false removal, under every gate limit). It must be refused."""
    line = _row(
        "Content-Length shorter than the body",
        "Content-Length ends one row early (a row boundary); the whole file is sent",
        "failed FetchError (more than its Content-Length); no change; state intact",
    )
    rows = rows_of(200)
    full = csv_bytes(rows)
    short = len(csv_bytes(rows[:-1]))  # the declared length ends one row early
    serving = {"length": len(full)}

    def serve(conn: socket.socket, _stop: threading.Event) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n"
            f"Content-Length: {serving['length']}"
        )
        conn.sendall(head.encode() + b"\r\n\r\n" + full)

    db = tmp_path / "cl.db"
    with RogueServer(serve) as rogue:
        base = csl_settings(db, rogue.url + "consolidated.csv", max_shrink=0.05)
        with Store.open(db) as store, HttpClient(base.http, sleep=lambda _s: None) as client:
            ctx = RunContext(base, store, client)
            [first] = run_sources(ctx, [CSL])
            assert first.outcome is RunOutcome.BASELINE, first
            accepted = _state(store)
            serving["length"] = short
            [cut] = run_sources(ctx, [CSL])
            line.observed = f"{cut.outcome.value} {cut.error_kind}: {scrub(cut.message)}"
            line.false_changes = len(store.changes())
            line.state_intact = _state(store) == accepted
    assert cut.outcome is RunOutcome.FAILED and cut.error_kind == "FetchError", cut
    assert "more than its Content-Length" in cut.message
    assert line.false_changes == 0 and line.state_intact
    line.passed = True
