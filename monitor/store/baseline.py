"""A baseline written as its file is read: the records batch by batch
(``BaselineStream``), the raw file compressed on a second thread meanwhile
(``PendingBlob``). Both write through the run's ``RunWriter``, inside the transaction
``monitor.store.store`` opened; used only there.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter
from collections.abc import Collection, Sequence

from monitor.keys import fold_name
from monitor.models import Record
from monitor.store import codec, write
from monitor.store.write import RunWriter


def start_blob(
    writer: RunWriter, raw: bytes, expected: str | None = None
) -> tuple[str, PendingBlob]:
    """``RunWriter.put_blob`` in two steps: the sha256 checked and the blob looked up now,
    the compression started on a second thread, the row written by ``PendingBlob.store``."""
    sha = writer.checked_sha(raw, expected)
    return sha, PendingBlob(writer, sha, None if writer.has_blob(sha) else raw)


class PendingBlob:
    """A raw file compressed on a thread of its own while the run reads it (a streamed
    baseline): one ``zlib.compress`` call, which releases the GIL for the whole file,
    so on a second core it costs the run no wall time (~27 ms for a 10 MB file at
    level 1). The connection is used only on the caller's thread, by ``store``.

    Used as a context manager: leaving it waits for the thread, so it never outlives
    the run, whether the run stored the blob or failed before."""

    def __init__(self, writer: RunWriter, sha: str, raw: bytes | None) -> None:
        self.writer = writer
        self.sha = sha
        self.size = 0 if raw is None else len(raw)
        self._data: bytes | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if raw is not None:  # None: the blob is stored already
            self._thread = threading.Thread(
                target=self._compress, args=(raw,), name="ecmon-blob", daemon=True
            )
            self._thread.start()

    def _compress(self, raw: bytes) -> None:
        try:
            self._data = zlib.compress(raw, write.RAW_LEVEL)
        except BaseException as error:  # MemoryError: raised again on the run's thread
            self._error = error

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def store(self) -> None:
        """Write the blob's row (nothing when it was stored already)."""
        if self._thread is None:
            return
        self._wait()
        self._thread = None
        if self._error is not None:
            raise self._error
        assert self._data is not None
        self.writer.insert_blob(self.sha, self.size, self._data)
        self._data = None

    def __enter__(self) -> PendingBlob:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._wait()


class BaselineStream:
    """A baseline written batch by batch as its file is read (``monitor.incremental``'s
    ``BaselineSink``), inside the caller's transaction: nothing is visible, or kept,
    unless that transaction commits.

    The source must hold no records yet. The record tables' indexes are dropped while
    the rows go in when the first batch has 1,000 rows or more and the tables hold no
    more than it (a large baseline into a young database, as ``RunWriter._add_many``
    decides on a whole snapshot), and built again before a record is looked up by key.
    """

    def __init__(self, writer: RunWriter) -> None:
        self.writer = writer
        self.cur = writer.cur
        self.source = writer.source
        self._decided = False
        self._dropped: list[str] = []

    def add(self, records: Sequence[Record], rows: Sequence[tuple[bytes, str]]) -> None:
        if not self._decided and records:
            self._decided = True
            if self.writer._worth_reindexing(len(rows), least=1000):
                self._dropped = self.writer._drop_indexes()
        # Key order inside a batch: a file of one batch is stored as ``_add_many`` stores it.
        self.writer._insert_records(sorted(records, key=lambda record: record.key))
        # A row met again (an identical row) adds to its count, as ``_insert_rows`` counts.
        self.cur.executemany(
            "INSERT INTO record_rows (source, digest, key, n) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (source, digest) DO UPDATE SET n = n + excluded.n",
            ((self.source, digest, key, n) for (digest, key), n in Counter(rows).items()),
        )

    def digests_of(self, keys: Collection[str]) -> set[bytes]:
        wanted = set(keys)
        return {
            bytes(digest)
            for digest, key in self.cur.execute(
                "SELECT digest, key FROM record_rows WHERE source = ?", (self.source,)
            )
            if key in wanted
        }

    def rewrite(self, records: Sequence[Record]) -> None:
        self.finish()
        for record in records:
            self.writer.update_current(record, changed_run=None)
            self.cur.execute(
                "UPDATE record_versions SET name = ?, name_folded = ?, country = ?,"
                " content_hash = ? WHERE source = ? AND key = ? AND to_run IS NULL",
                (
                    record.name,
                    fold_name(record.name),
                    record.country,
                    record.content_hash,
                    self.source,
                    record.key,
                ),
            )

    def finish(self) -> None:
        """Build again the indexes dropped for the insert (once)."""
        dropped, self._dropped = self._dropped, []
        for sql in dropped:  # a duplicate key fails here, and the run rolls back
            self.cur.execute(sql)

    def held_blob(self) -> bytes:
        """The records added so far as ``codec.records_blob`` holds them, compressed as
        they are read (a suspect baseline's held state, never all in memory at once)."""
        self.finish()
        rows = self.cur.execute(
            "SELECT record_z FROM records WHERE source = ? ORDER BY id", (self.source,)
        )
        return codec.compress_json_array(codec.unpack_json(bytes(data)) for (data,) in rows)
