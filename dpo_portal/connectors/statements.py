"""SQL generated from a data map, for PostgreSQL, MySQL/MariaDB and SQLite: one statement builder
(the functions below), each engine's composition a dialect.

Values are always parameters; identifiers (table and column names from the map) are quoted by
the driver's composition for PostgreSQL (psycopg ``sql.Identifier``) and, for the engines whose
drivers have no composition API, by one quoting function applying the engine's own rule
(``TextDialect.ident``: SQLite's double quotes, MySQL's backticks, the quote doubled inside).
Never string formatting of names or values. Every statement works on a set of rows (primary keys
passed as one array, or chunked IN lists), not row by row.
"""

from dataclasses import dataclass

from psycopg import sql

MASK = "***"


@dataclass
class Statement:
    query: object  # psycopg Composed, or str for the text dialects
    params: list


class Postgres:
    """psycopg's composition: identifiers quoted by the driver, values as parameters."""

    name = "postgresql"

    def ident(self, name):
        # psycopg reads every % of the composed query as a placeholder, quoted names included.
        return sql.Identifier(name.replace("%", "%%"))

    def compose(self, template, *parts):
        return sql.SQL(template).format(*parts)

    def join(self, separator, parts):
        return sql.SQL(separator).join(parts)

    def in_values(self, column, values):
        """[(fragment, params)]: one statement's worth each (PostgreSQL takes one array)."""
        return [(self.compose("{} = ANY(%s)", column), [list(values)])]

    def in_text_values(self, column, values):
        """Like in_values for keys held as text (the inventory's ids): one array literal, sent
        untyped, that the server reads as an array of the column's own type (so an integer key
        keeps its index)."""
        return [(self.compose("{} = ANY(%s)", column), [array_literal(values)])]

    def hash_expression(self, column):
        return self.compose(
            "encode(sha256(convert_to(%s || CAST({} AS text), 'UTF8')), 'hex')", column
        )

    def shape(self, statement, connection):
        return statement.query.as_string(connection).replace("%%", "%")


class TextDialect:
    """Composition as text, for drivers without a composition API: an identifier is the name in
    the engine's identifier quote with that quote doubled inside (the rule of the SQL standard,
    of SQLite and of MySQL); values are parameters in the driver's placeholder. The templates
    are this module's constants; only quoted identifiers are put into them."""

    quote = '"'
    placeholder = "?"
    chunk = 500  # primary keys per IN list

    def ident(self, name):
        if "\x00" in name:
            raise ValueError("NUL in an identifier")
        return self.quote + name.replace(self.quote, self.quote * 2) + self.quote

    def compose(self, template, *parts):
        return template.replace("%s", self.placeholder).format(*parts)

    def join(self, separator, parts):
        return separator.join(parts)

    def in_values(self, column, values):
        values = list(values)
        return [
            (f"{column} IN ({', '.join([self.placeholder] * len(chunk))})", chunk)
            for chunk in (values[i : i + self.chunk] for i in range(0, len(values), self.chunk))
        ] or [("1 = 0", [])]

    # A column's affinity converts text keys compared with it: the same IN lists serve.
    in_text_values = in_values

    def shape(self, statement, connection):
        return statement.query


class SQLite(TextDialect):
    """SQLite: double quotes, ``?`` parameters, well under its limit of bound parameters."""

    name = "sqlite"

    def hash_expression(self, column):
        return f"dpo_hash(?, {column})"


class MySQL(TextDialect):
    """MySQL and MariaDB: backticks (the default ``sql_mode``, without ANSI_QUOTES), ``%s``
    parameters (PyMySQL). PyMySQL fills parameters with Python's ``%`` operator on the whole
    query, so a ``%`` in a name is doubled to stay a ``%``."""

    name = "mysql"
    quote = "`"
    placeholder = "%s"
    chunk = 1_000

    def ident(self, name):
        return super().ident(name).replace("%", "%%")

    def hash_expression(self, column):
        # The same hex SHA-256 of salt + value (as UTF-8 text) as the other engines compute.
        return f"SHA2(CONCAT(%s, CONVERT({column} USING utf8mb4)), 256)"

    def shape(self, statement, connection):
        return statement.query.replace("%%", "%")


def array_literal(values):
    """A PostgreSQL array literal of text values, each quoted (a value, passed as a parameter;
    the quoting is the array input syntax's, so a comma or brace in a key stays in the key)."""
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def key_lookup(dialect, table, pk, keys):
    """SELECT the primary keys, among ``keys`` (text), that ``table`` holds."""
    return [
        Statement(
            dialect.compose(
                "SELECT {} FROM {} WHERE {}", dialect.ident(pk), dialect.ident(table), fragment
            ),
            params,
        )
        for fragment, params in dialect.in_text_values(dialect.ident(pk), keys)
    ]


def child_references(dialect, child, child_pk, field, parent, parent_pk, parent_field, keys):
    """SELECT (child key, parent key) of the ``child`` rows whose ``field`` refers to the
    ``parent`` rows whose primary keys are ``keys``."""
    if parent_field == parent_pk:
        return [
            Statement(
                dialect.compose(
                    "SELECT {}, {} FROM {} WHERE {}",
                    dialect.ident(child_pk),
                    dialect.ident(field),
                    dialect.ident(child),
                    fragment,
                ),
                params,
            )
            for fragment, params in dialect.in_values(dialect.ident(field), keys)
        ]
    return [
        Statement(
            dialect.compose(
                "SELECT c.{}, p.{} FROM {} AS c JOIN {} AS p ON c.{} = p.{} WHERE {}",
                dialect.ident(child_pk),
                dialect.ident(parent_pk),
                dialect.ident(child),
                dialect.ident(parent),
                dialect.ident(field),
                dialect.ident(parent_field),
                fragment,
            ),
            params,
        )
        for fragment, params in dialect.in_values(
            dialect.compose("p.{}", dialect.ident(parent_pk)), keys
        )
    ]


def identity_lookup(dialect, table, pk, columns_values):
    """SELECT the primary keys of the rows whose identity columns hold one of the values:
    [(column, [values])] (several columns are OR-ed)."""
    statements = []
    for column, values in columns_values:
        for fragment, params in dialect.in_values(dialect.ident(column), values):
            statements.append(
                Statement(
                    dialect.compose(
                        "SELECT {} FROM {} WHERE {}",
                        dialect.ident(pk),
                        dialect.ident(table),
                        fragment,
                    ),
                    params,
                )
            )
    return statements


def linked_lookup(dialect, table, pk, field, parent, parent_pk, parent_field, parent_keys):
    """SELECT the primary keys of ``table`` rows whose ``field`` holds ``parent_field`` of the
    parent rows whose primary keys are ``parent_keys``."""
    statements = []
    for fragment, params in dialect.in_values(dialect.ident(parent_pk), parent_keys):
        inner = dialect.compose(
            "SELECT {} FROM {} WHERE {}",
            dialect.ident(parent_field),
            dialect.ident(parent),
            fragment,
        )
        statements.append(
            Statement(
                dialect.compose(
                    "SELECT {} FROM {} WHERE {} IN ({})",
                    dialect.ident(pk),
                    dialect.ident(table),
                    dialect.ident(field),
                    inner,
                ),
                params,
            )
        )
    return statements


def delete_rows(dialect, table, pk, keys):
    return [
        Statement(
            dialect.compose("DELETE FROM {} WHERE {}", dialect.ident(table), fragment), params
        )
        for fragment, params in dialect.in_values(dialect.ident(pk), keys)
    ]


def delete_unreferenced(dialect, table, pk, children, keys):
    """DELETE the rows among ``keys`` (text, the inventory's ids) that no row of a child
    collection references: ``children`` is [(child, its referencing field, the referenced
    field)]. The rows referenced stay (deleting them would break the rows that refer to them)."""
    conditions = [
        dialect.compose(
            "NOT EXISTS (SELECT 1 FROM {} WHERE {}.{} = {}.{})",
            dialect.ident(child),
            dialect.ident(child),
            dialect.ident(field),
            dialect.ident(table),
            dialect.ident(parent_field),
        )
        for child, field, parent_field in children
    ]
    return [
        Statement(
            dialect.compose(
                "DELETE FROM {} WHERE {}",
                dialect.ident(table),
                dialect.join(" AND ", [fragment, *conditions]),
            ),
            params,
        )
        for fragment, params in dialect.in_text_values(dialect.ident(pk), keys)
    ]


def count_keys(dialect, table, pk, keys):
    """SELECT how many rows among ``keys`` (text) ``table`` holds (one count per statement)."""
    return [
        Statement(
            dialect.compose("SELECT count(*) FROM {} WHERE {}", dialect.ident(table), fragment),
            params,
        )
        for fragment, params in dialect.in_text_values(dialect.ident(pk), keys)
    ]


def update_fields(dialect, table, pk, keys, strategies, salt, *, keys_as_text=False):
    """UPDATE the fields by their strategy ({field: "null" | "mask" | "hash"}); ``keys`` as the
    source types them, or with ``keys_as_text`` as text (the inventory's ids)."""
    in_values = dialect.in_text_values if keys_as_text else dialect.in_values
    assignments, params = [], []
    for name, strategy in sorted(strategies.items()):
        column = dialect.ident(name)
        if strategy == "null":
            assignments.append(dialect.compose("{} = NULL", column))
        elif strategy == "mask":
            assignments.append(dialect.compose("{} = %s", column))
            params.append(MASK)
        elif strategy == "hash":
            assignments.append(dialect.compose("{} = {}", column, dialect.hash_expression(column)))
            params.append(salt)
        else:
            raise ValueError(strategy)
    setting = dialect.join(", ", assignments)
    return [
        Statement(
            dialect.compose("UPDATE {} SET {} WHERE {}", dialect.ident(table), setting, fragment),
            [*params, *keyparams],
        )
        for fragment, keyparams in in_values(dialect.ident(pk), keys)
    ]


def select_fields(dialect, table, pk, keys, fields):
    columns = dialect.join(", ", [dialect.ident(name) for name in fields])
    return [
        Statement(
            dialect.compose(
                "SELECT {} FROM {} WHERE {} ORDER BY {}",
                columns,
                dialect.ident(table),
                fragment,
                dialect.ident(pk),
            ),
            params,
        )
        for fragment, params in dialect.in_values(dialect.ident(pk), keys)
    ]


def inventory_rows(dialect, table, pk, path, root, identity_columns, collected_at):
    """The inventory of a collection: (primary key, identity values…, collection date) of its
    rows joined along ``path`` (Links from the collection up to ``root``). One query, read in
    chunks by the session's stream(): the join is planned once over the whole table."""
    aliases = [f"t{i}" for i in range(len(path) + 1)]
    joins = []
    for index, link in enumerate(path):
        joins.append(
            dialect.compose(
                "JOIN {} AS {} ON {}.{} = {}.{}",
                dialect.ident(link.parent),
                dialect.ident(aliases[index + 1]),
                dialect.ident(aliases[index + 1]),
                dialect.ident(link.parent_field),
                dialect.ident(aliases[index]),
                dialect.ident(link.field),
            )
        )
    root_alias = dialect.ident(aliases[-1])
    first = dialect.ident(aliases[0])
    selected = [dialect.compose("{}.{}", first, dialect.ident(pk))]
    selected += [dialect.compose("{}.{}", root_alias, dialect.ident(c)) for c in identity_columns]
    selected.append(dialect.compose("{}.{}", first, dialect.ident(collected_at)))
    query = dialect.compose(
        "SELECT {} FROM {} AS {} {}",
        dialect.join(", ", selected),
        dialect.ident(table),
        first,
        dialect.join(" ", joins),
    )
    return Statement(query, [])


def count_rows(dialect, table):
    return Statement(dialect.compose("SELECT count(*) FROM {}", dialect.ident(table)), [])
