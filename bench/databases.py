"""The bench's databases: where a PostgreSQL server answers, creating and dropping the bench's
own databases, SQLite files, and what server a run measured."""

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PG_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def pg_server() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else DEFAULT_PG_SERVER


def answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


def with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def pg_recreate(url: str, *, keep: bool) -> None:
    """Creates the database named in `url` (dropping it first unless `keep`)."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_name(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and keep:
            return
        if exists:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def sqlite_remove(path: Path) -> None:
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()


@dataclass
class Target:
    """Where the bench's data lives, and how to start it afresh."""

    database_url: str
    sync: str | Path  # the sync's own empty database: a PostgreSQL URL or an SQLite file
    sqlite_path: Path | None = None

    @property
    def name(self) -> str:
        """The database's NAME in Django's settings: the file, or the PostgreSQL database."""
        return str(self.sqlite_path) if self.sqlite_path else urlsplit(self.database_url).path[1:]

    def scaled(self, scale: int) -> "Target":
        """The target of the data at `scale` times the size: another file or database."""
        if self.sqlite_path:
            path = self.sqlite_path.with_name(f"{self.sqlite_path.stem}-x{scale}.sqlite3")
            return Target(database_url=f"sqlite:///{path}", sync=self.sync, sqlite_path=path)
        url = with_name(self.database_url, f"{self.name}_x{scale}")
        return Target(database_url=url, sync=self.sync)

    def recreate(self) -> None:
        if self.sqlite_path:
            sqlite_remove(self.sqlite_path)
        else:
            pg_recreate(self.database_url, keep=False)


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        else:
            cursor.execute("SELECT version()")
        return cursor.fetchone()[0].split(" on ")[0]
