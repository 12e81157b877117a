"""The store's package-internal database handle: the connection, one transaction, rows.

Every module of ``monitor.store`` reads and writes through ``Store.db`` (an instance of
``Db``), so none of them reaches into another's private state. Nothing outside the
package uses it: the rest of ecmon calls ``Store`` and the area modules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from monitor.errors import StoreError


class Db:
    """One open SQLite connection (autocommit mode; transactions are explicit)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @contextmanager
    def transaction(self, scope: str) -> Iterator[sqlite3.Cursor]:
        """One BEGIN IMMEDIATE ... COMMIT; rolls back on any exception.

        ``scope`` (a source name, or an area such as "outbox") goes into the error.
        """
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            yield cur
            cur.execute("COMMIT")
        except sqlite3.Error as exc:
            self.rollback()
            raise StoreError(f"database {self.path}: {exc}", source=scope) from exc
        except BaseException:
            self.rollback()
            raise
        finally:
            cur.close()

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        try:
            cur = self.conn.cursor()
            cur.row_factory = sqlite3.Row
            return list(cur.execute(sql, params))
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.path}: {exc}") from exc

    def one(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None
