"""Columns the CSV exports read as text the database makes: an id in its dashed form, a time in
UTC as ISO text. Read as Django's fields, each cell would become a UUID or a datetime (on SQLite
by parsing the text it stores) only for the export to turn it back into text, per cell of rows
by the hundred thousand."""

from django.db.models import CharField, Func


class IdText(Func):
    """A UUID column as its usual text, "01234567-89ab-cdef-0123-456789abcdef" (NULL stays
    NULL): what str() of the UUID gives. A column only: SQLite's form names it five times."""

    arity = 1
    output_field = CharField()
    template = "CAST(%(expressions)s AS text)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores the 32 hex digits without dashes.
        dashed = "||'-'||".join(
            f"substr(%(expressions)s, {start}, {length})"
            for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        )
        return self.as_sql(compiler, connection, template=dashed, **extra_context)


class UtcText(Func):
    """A time column as UTC ISO text, "2026-12-02 15:04:05" (maybe with microseconds; NULL
    stays NULL), for datetime.fromisoformat."""

    arity = 1
    output_field = CharField()
    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"

    def as_sqlite(self, compiler, connection, **extra_context):
        # What SQLite stores: Django writes the time in UTC as this text. Cast, or the column's
        # declared type would have the sqlite3 module parse it into a datetime.
        template = "CAST(%(expressions)s AS text)"
        return self.as_sql(compiler, connection, template=template, **extra_context)
