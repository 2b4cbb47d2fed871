"""Forms that ``pg_dump --schema-only`` (and Rails' / Ecto's ``structure.sql``) write, replayed against PostgreSQL.

Each script is executed on a fresh database and reflected; the replay of the same script must give the same
Catalog (``tests.test_ddl.view``: columns, keys, predicates, expressions, nullability) and no note.
"""

from __future__ import annotations

import pytest

from schema_parity.catalog import Catalog
from schema_parity.sources.ddl import catalog_from_ddl
from tests.test_ddl import run_pg, view

QUALIFIED_NAMES = """CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE TYPE public.mood AS ENUM ('calm', 'cross');
CREATE FUNCTION public.lower(text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS 'SELECT $1';
CREATE TABLE public.people (
    id bigint NOT NULL,
    email public.citext NOT NULL,
    mood public.mood DEFAULT 'calm'::public.mood,
    moods public.mood[],
    names text[]
);
ALTER TABLE ONLY public.people ADD CONSTRAINT people_pkey PRIMARY KEY (id);
CREATE INDEX people_email_trgm ON public.people USING gin (email public.gin_trgm_ops);
CREATE UNIQUE INDEX people_lower_names ON public.people USING btree (public.lower(names))
    WHERE (mood = 'calm'::public.mood);
CREATE UNIQUE INDEX people_lower_email ON public.people USING btree (pg_catalog.lower((email)::text));
"""


def test_public_qualified_types_functions_and_operator_classes(pg_url: str) -> None:
    """pg_dump qualifies every name with its schema; the catalog prints those of the default search path bare."""
    replayed = catalog_from_ddl(QUALIFIED_NAMES, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(run_pg(pg_url, QUALIFIED_NAMES))
    people = replayed.table("people")
    assert people is not None
    assert [c.type for c in people.columns][1:4] == ["citext", "mood", "mood[]"]
    assert {e.opclass for k in people.keys for e in k.elements} == {None, "gin_trgm_ops"}


def _validity(catalog: Catalog) -> dict[tuple[str, str | None], bool]:
    return {(t.name, k.name): k.valid for t in catalog.tables for k in t.keys}


# pg_dump's order: the partitioned table, each partition as a table of its own attached at once, then the keys
# and indexes ON ONLY the parent (invalid until every partition's is attached), the partitions', and the attaches.
PARTITIONS_AS_DUMPED = """CREATE TABLE public.events (
    id bigint NOT NULL,
    at date NOT NULL,
    kind text
)
PARTITION BY RANGE (at);
CREATE TABLE public.events_2025 (
    id bigint NOT NULL,
    at date NOT NULL,
    kind text
);
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE public.events_rest (
    id bigint NOT NULL,
    at date NOT NULL,
    kind text
);
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_rest DEFAULT;
ALTER TABLE ONLY public.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
ALTER TABLE ONLY public.events_2025 ADD CONSTRAINT events_2025_pkey PRIMARY KEY (id, at);
ALTER TABLE ONLY public.events_rest ADD CONSTRAINT events_rest_pkey PRIMARY KEY (id, at);
CREATE UNIQUE INDEX events_kind ON ONLY public.events USING btree (kind, at) WHERE (kind IS NOT NULL);
CREATE UNIQUE INDEX events_2025_kind_at_idx ON public.events_2025 USING btree (kind, at) WHERE (kind IS NOT NULL);
CREATE UNIQUE INDEX events_rest_kind_at_idx ON public.events_rest USING btree (kind, at) WHERE (kind IS NOT NULL);
CREATE INDEX events_half ON ONLY public.events USING btree (at);
CREATE INDEX events_2025_at_idx ON public.events_2025 USING btree (at);
ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2025_pkey;
ALTER INDEX public.events_pkey ATTACH PARTITION public.events_rest_pkey;
ALTER INDEX public.events_kind ATTACH PARTITION public.events_2025_kind_at_idx;
ALTER INDEX public.events_kind ATTACH PARTITION public.events_rest_kind_at_idx;
ALTER INDEX public.events_half ATTACH PARTITION public.events_2025_at_idx;
"""

# What the dump was made from: keys on the partitioned table are cloned onto every partition, by default names.
PARTITIONS_AS_WRITTEN = """CREATE TABLE p (id int NOT NULL, k int NOT NULL, a int DEFAULT 3, b int,
    PRIMARY KEY (id, k), UNIQUE (a, k)) PARTITION BY LIST (k);
CREATE INDEX ON p (a);
CREATE UNIQUE INDEX p_u ON p (id, k) WHERE a > 0;
CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);
CREATE TABLE p2 (id int NOT NULL, k int NOT NULL, a int, b int);
CREATE UNIQUE INDEX p2_mine ON p2 (id, k) WHERE a > 0;
ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);
CREATE TABLE p3 PARTITION OF p FOR VALUES IN (3, 4) PARTITION BY LIST (k);
CREATE TABLE p3a PARTITION OF p3 DEFAULT;
ALTER TABLE p ADD CONSTRAINT p_b_k UNIQUE (b, k);
CREATE INDEX p_b ON p (b);
DROP INDEX p_b;
CREATE TABLE q (id int, k int) PARTITION BY LIST (k);
CREATE TABLE q1 PARTITION OF q FOR VALUES IN (1);
CREATE TABLE q2 PARTITION OF q FOR VALUES IN (2);
ALTER TABLE q DETACH PARTITION q2;
DROP TABLE q;
"""


@pytest.mark.parametrize("script", [PARTITIONS_AS_DUMPED, PARTITIONS_AS_WRITTEN], ids=["dumped", "written"])
def test_partitions_and_their_indexes(pg_url: str, script: str) -> None:
    replayed = catalog_from_ddl(script, "postgresql")
    assert replayed.notes == ()
    real = run_pg(pg_url, script)
    assert view(replayed) == view(real)
    assert _validity(replayed) == _validity(real)


def test_an_index_on_only_the_partitioned_table_is_invalid_until_every_partition_has_one(pg_url: str) -> None:
    script = PARTITIONS_AS_DUMPED.rsplit("ALTER INDEX public.events_pkey ATTACH", 1)[0]
    replayed = catalog_from_ddl(script, "postgresql")
    assert _validity(replayed) == _validity(run_pg(pg_url, script))
    assert _validity(replayed)[("events", "events_pkey")] is False


# pg_dump before PostgreSQL 10 (and older Rails structure.sql files): unqualified names under SET search_path.
SEARCH_PATH = """CREATE SCHEMA app;
SET search_path = app, pg_catalog;
CREATE TABLE things (id integer NOT NULL, code text);
CREATE SEQUENCE things_id_seq;
ALTER TABLE ONLY things ADD CONSTRAINT things_pkey PRIMARY KEY (id);
SET search_path = public, pg_catalog;
CREATE TABLE things (id integer NOT NULL, app_id integer);
CREATE UNIQUE INDEX things_app ON things USING btree (app_id);
SET search_path TO app, public;
CREATE UNIQUE INDEX things_code ON things USING btree (code);
CREATE TABLE in_app (a int);
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.later (id integer NOT NULL);
ALTER TABLE ONLY public.later ADD CONSTRAINT later_pkey PRIMARY KEY (id);
SELECT pg_catalog.set_config('search_path', 'app', false);
DROP TABLE in_app;
RESET search_path;
CREATE TABLE in_app (a int);
CREATE UNIQUE INDEX in_app_a ON in_app (a);
"""


def test_unqualified_names_follow_the_search_path(pg_url: str) -> None:
    replayed = catalog_from_ddl(SEARCH_PATH, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(run_pg(pg_url, SEARCH_PATH))
    assert {t.qualified_name for t in replayed.tables} == {"app.things", "things", "later", "in_app"}


def test_an_empty_search_path_refuses_an_unqualified_create_as_postgresql_does(pg_url: str) -> None:
    script = "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE t (a int);\n"
    import psycopg
    import sqlalchemy as sa

    url = sa.engine.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    set_path, create = script.split(";\n")[:2]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(set_path)  # type: ignore[arg-type]
        with pytest.raises(psycopg.Error) as refused:
            conn.execute(create)  # type: ignore[arg-type]
    replayed = catalog_from_ddl(script, "postgresql")
    assert replayed.tables == ()
    assert [n.split(": ", 1)[1] for n in replayed.notes] == [str(refused.value).splitlines()[0]]


ARRAY_DEFAULTS = """CREATE TABLE public.ratings (
    id bigint NOT NULL,
    dist integer[] DEFAULT ARRAY[0, 0, 0] NOT NULL,
    methods character varying[] DEFAULT ARRAY['basic'::character varying, 'post'::character varying] NOT NULL,
    grid integer[] DEFAULT '{{1,2},{3,4}}'::integer[],
    CONSTRAINT ratings_dist CHECK ((dist[1] >= 0))
);
CREATE UNIQUE INDEX ratings_first ON public.ratings USING btree ((dist[1]), (methods[1]))
    WHERE (grid[1:1] <> ARRAY[ARRAY[0, 0]]);
"""


def test_a_default_array_keeps_its_commas_inside_the_column(pg_url: str) -> None:
    replayed = catalog_from_ddl(ARRAY_DEFAULTS, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(run_pg(pg_url, ARRAY_DEFAULTS))


# Older pg_dump files: inheritance children restate the parent's columns in neither order nor full.
INHERITANCE = """CREATE TABLE public.items (
    id integer NOT NULL,
    made timestamp with time zone DEFAULT now() NOT NULL,
    note text,
    CONSTRAINT items_note CHECK ((note <> ''::text)),
    CONSTRAINT items_own CHECK ((id > 0)) NO INHERIT
);
CREATE TABLE public.tagged (
    tag text NOT NULL,
    note text NOT NULL
)
INHERITS (public.items);
CREATE TABLE public.extra (x int, id integer);
CREATE TABLE public.both_parents (
    y integer
)
INHERITS (public.tagged, public.extra);
ALTER TABLE ONLY public.tagged ALTER COLUMN made SET DEFAULT now();
ALTER TABLE ONLY public.items ADD CONSTRAINT items_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.tagged ADD CONSTRAINT tagged_pkey PRIMARY KEY (id, tag);
CREATE UNIQUE INDEX tagged_tag ON public.tagged USING btree (tag) WHERE (note IS NOT NULL);
ALTER TABLE public.items ADD CONSTRAINT items_note_key UNIQUE (note);
"""


def test_inherits_takes_the_parents_columns_and_checks_not_their_keys(pg_url: str) -> None:
    replayed = catalog_from_ddl(INHERITANCE, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(run_pg(pg_url, INHERITANCE))


@pytest.mark.parametrize(
    "change",
    [
        f"ALTER TABLE{only} public.{parent} {change}"
        for only in ("", " ONLY")
        for parent in ("items", "extra", "tagged")
        for change in (
            "ADD COLUMN z int NOT NULL DEFAULT 0",
            "ADD COLUMN x int",
            "ALTER COLUMN id SET NOT NULL",
            "ADD PRIMARY KEY (id)",
            "DROP COLUMN id",
            "RENAME COLUMN note TO memo",
        )
        if not (only and change.startswith("RENAME"))  # PostgreSQL refuses to rename an inherited column ONLY
    ],
)
def test_a_change_through_the_parent_reaches_its_heirs(pg_url: str, change: str) -> None:
    """Without ONLY a column change reaches every table below, a primary key makes their columns NOT NULL."""
    import psycopg

    script = INHERITANCE + change + ";\n"
    try:
        real = run_pg(pg_url, script)
    except psycopg.Error as refused:
        replayed = catalog_from_ddl(script, "postgresql")
        assert [n.split(": ", 1)[1] for n in replayed.notes] == [str(refused).splitlines()[0]]
        return
    replayed = catalog_from_ddl(script, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(real)


MATERIALIZED_VIEW_INDEXES = """CREATE TABLE public.zones (id integer NOT NULL, name text);
CREATE MATERIALIZED VIEW public.zone_names AS SELECT zones.id, zones.name FROM public.zones WITH NO DATA;
CREATE UNIQUE INDEX zone_names_pk ON public.zone_names USING btree (id);
CREATE INDEX zones_name_key ON public.zone_names USING btree (name);
ALTER INDEX public.zone_names_pk RENAME TO zones_id_key;
CREATE INDEX gone ON public.zone_names USING btree (name);
DROP INDEX public.gone;
ALTER TABLE ONLY public.zones ADD CONSTRAINT zones_pkey PRIMARY KEY (id);
ALTER TABLE public.zones ADD UNIQUE (id);
ALTER TABLE public.zones ADD UNIQUE (name);
CREATE INDEX ON public.zones (name) WHERE (name <> ''::text);
"""


def test_indexes_of_materialized_views_take_their_names(pg_url: str) -> None:
    """A materialized view is no ON CONFLICT target, but its indexes' names push the default names aside."""
    replayed = catalog_from_ddl(MATERIALIZED_VIEW_INDEXES, "postgresql")
    assert replayed.notes == ()
    real = view(run_pg(pg_url, MATERIALIZED_VIEW_INDEXES))
    del real["zone_names"]  # reflection lists the materialized view; the replay keeps only its name
    assert view(replayed) == real
    zones = replayed.table("zones")
    assert zones is not None and {"zones_id_key1", "zones_name_key1"} <= {k.name for k in zones.keys}


# pg_dump writes a partitioned table's foreign keys without ONLY (PostgreSQL refuses ONLY there): the partitions
# get them too, under the same names, as they get the checks.
PARTITIONED_CONSTRAINTS = """CREATE TABLE public.owners (id integer NOT NULL);
CREATE TABLE public.notes (id bigint NOT NULL, owner_id integer, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE public.notes_2025 (id bigint NOT NULL, owner_id integer, at date NOT NULL);
ALTER TABLE ONLY public.notes ATTACH PARTITION public.notes_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE public.notes_rest PARTITION OF public.notes DEFAULT;
ALTER TABLE ONLY public.owners ADD CONSTRAINT owners_pkey PRIMARY KEY (id);
ALTER TABLE public.notes ADD CONSTRAINT fk_owner FOREIGN KEY (owner_id) REFERENCES public.owners(id) ON DELETE CASCADE;
ALTER TABLE public.notes ADD CONSTRAINT notes_at CHECK ((at > '2000-01-01'::date));
"""


def test_constraints_added_to_a_partitioned_table_reach_its_partitions(pg_url: str) -> None:
    replayed = catalog_from_ddl(PARTITIONED_CONSTRAINTS, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(run_pg(pg_url, PARTITIONED_CONSTRAINTS))
    partition = replayed.table("notes_2025")
    assert partition is not None and set(partition.other_constraints) == {"fk_owner", "notes_at"}


def test_an_inheritance_parent_is_dropped_with_cascade_only(pg_url: str) -> None:
    """PostgreSQL refuses to drop a parent its children inherit from; CASCADE drops them too."""
    import psycopg
    import sqlalchemy as sa

    from schema_parity.sources.reflect import reflect_url

    refused_drop, cascade = "DROP TABLE public.items;\n", "DROP TABLE public.items CASCADE;\n"
    url = sa.engine.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in filter(str.strip, INHERITANCE.split(";\n")):
            conn.execute(statement)  # type: ignore[arg-type]
        with pytest.raises(psycopg.Error) as refused:
            conn.execute(refused_drop)  # type: ignore[arg-type]
        conn.execute(cascade)  # type: ignore[arg-type]
    replayed = catalog_from_ddl(INHERITANCE + refused_drop, "postgresql")
    assert [n.split(": ", 1)[1] for n in replayed.notes] == [str(refused.value).splitlines()[0]]
    assert view(replayed) == view(catalog_from_ddl(INHERITANCE, "postgresql"))
    real = reflect_url(pg_url)
    assert view(catalog_from_ddl(INHERITANCE + cascade, "postgresql")) == view(real)


# pg_dump 10 and 11 write partitions with PARTITION OF, their own column options and constraints in parentheses.
PARTITION_OF_WITH_OPTIONS = """CREATE TABLE public.p (id integer, k integer NOT NULL, a integer, UNIQUE (a, k))
PARTITION BY LIST (k);
CREATE TABLE public.p1 PARTITION OF public.p (
    id WITH OPTIONS NOT NULL DEFAULT 7,
    a UNIQUE,
    CONSTRAINT p1_chk CHECK ((a > 0)),
    UNIQUE (a, k)
)
FOR VALUES IN (1);
CREATE TABLE public.p2 PARTITION OF public.p (PRIMARY KEY (id, k)) DEFAULT;
"""


def test_partition_of_with_its_own_column_options_and_constraints(pg_url: str) -> None:
    """The parent's keys are cloned first (as PostgreSQL's DefineRelation does), then the partition's own."""
    replayed = catalog_from_ddl(PARTITION_OF_WITH_OPTIONS, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(run_pg(pg_url, PARTITION_OF_WITH_OPTIONS))
    p1 = replayed.table("p1")
    assert p1 is not None and [k.name for k in p1.keys] == ["p1_a_k_key", "p1_a_key", "p1_a_k_key1"]


def _pg_dump(pg_url: str) -> str:
    """``pg_dump --schema-only`` of the test database."""
    import shutil
    import subprocess

    import sqlalchemy as sa

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    url = sa.engine.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--schema-only", url], capture_output=True, text=True, check=True).stdout


def _same_as_server_written_and_dumped(pg_url: str, script: str) -> None:
    """The replay of the script equals the server's tables and validity; so does the replay of pg_dump's dump of
    them, compared with the dump restored (a restored inheritance child may order its columns otherwise)."""
    real = run_pg(pg_url, script)
    replayed = catalog_from_ddl(script, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(real)
    assert _validity(replayed) == _validity(real)
    dump = _pg_dump(pg_url)
    sql = "".join(line for line in dump.splitlines(keepends=True) if not line.startswith("\\"))  # psql's \restrict
    restored = run_pg(pg_url, "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n" + sql)
    replayed = catalog_from_ddl(dump, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(restored)
    assert _validity(replayed) == _validity(real) == _validity(restored)


# A partition's UNIQUE constraint is equivalent to the parent's primary key: PostgreSQL attaches it (by shape,
# a constraint's index to a constraint's index of either kind) rather than building a second index.
CONSTRAINT_OF_ANOTHER_KIND = """CREATE TABLE p (a int NOT NULL) PARTITION BY RANGE (a);
CREATE TABLE p1 (a int NOT NULL, CONSTRAINT p1_u UNIQUE (a));
ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (0) TO (10);
ALTER TABLE p ADD PRIMARY KEY (a);
CREATE TABLE o (a int NOT NULL) PARTITION BY RANGE (a);
CREATE TABLE o1 (a int NOT NULL, CONSTRAINT o1_u UNIQUE (a));
ALTER TABLE o ATTACH PARTITION o1 FOR VALUES FROM (0) TO (10);
CREATE UNIQUE INDEX ou ON ONLY o (a);
ALTER INDEX ou ATTACH PARTITION o1_u;
CREATE TABLE q (a int NOT NULL) PARTITION BY RANGE (a);
CREATE TABLE q1 (a int NOT NULL);
CREATE UNIQUE INDEX q1_a ON q1 (a);
ALTER TABLE q ATTACH PARTITION q1 FOR VALUES FROM (0) TO (10);
ALTER TABLE q ADD CONSTRAINT q_a UNIQUE (a);
CREATE TABLE r (a int NOT NULL) PARTITION BY RANGE (a);
CREATE TABLE r1 (a int PRIMARY KEY);
ALTER TABLE r ATTACH PARTITION r1 FOR VALUES FROM (0) TO (10);
CREATE UNIQUE INDEX ru ON r (a);
CREATE INDEX rn ON r (a);
"""


def test_a_partitions_constraint_of_another_kind_attaches_to_the_parents_key(pg_url: str) -> None:
    _same_as_server_written_and_dumped(pg_url, CONSTRAINT_OF_ANOTHER_KIND)
    p1 = catalog_from_ddl(CONSTRAINT_OF_ANOTHER_KIND, "postgresql").table("p1")
    assert p1 is not None and [k.name for k in p1.keys] == ["p1_u"]


# Alembic's op.add_column / alter_column / drop_column write ALTER TABLE without ONLY: PostgreSQL makes the same change
# on every partition and inheritance child (DROP COLUMN leaves a child's own column), so the keys added later find
# their columns there.
COLUMNS_THROUGH_THE_PARENT = """CREATE TABLE par (id int, b int, l int);
CREATE TABLE ch (x int, b int, l int) INHERITS (par);
CREATE TABLE gch () INHERITS (ch);
CREATE TABLE other (l int);
CREATE TABLE multi () INHERITS (par, other);
ALTER TABLE par ADD PRIMARY KEY (id);
ALTER TABLE par ADD COLUMN z int UNIQUE;
ALTER TABLE par ADD COLUMN w int NOT NULL DEFAULT 1 CHECK (w > 0);
ALTER TABLE par ADD COLUMN s serial;
ALTER TABLE par ADD COLUMN x int NOT NULL DEFAULT 0;
ALTER TABLE par ADD CONSTRAINT par_u UNIQUE (x, z);
ALTER TABLE par DROP COLUMN b;
ALTER TABLE par DROP COLUMN l;
ALTER TABLE par ALTER COLUMN id TYPE bigint;
ALTER TABLE par ALTER COLUMN w DROP NOT NULL;
ALTER TABLE par ALTER COLUMN z SET NOT NULL;
ALTER TABLE par ALTER COLUMN z SET DEFAULT 4;
ALTER TABLE par RENAME COLUMN z TO zz;
CREATE UNIQUE INDEX ch_u ON ch (x, zz);
CREATE TABLE pp (a int NOT NULL, b int) PARTITION BY LIST (a);
CREATE TABLE pp1 PARTITION OF pp FOR VALUES IN (1);
CREATE TABLE pp2 (b int, a int NOT NULL);
ALTER TABLE pp ATTACH PARTITION pp2 FOR VALUES IN (2);
CREATE TABLE pp3 PARTITION OF pp FOR VALUES IN (3) PARTITION BY LIST (a);
CREATE TABLE pp3a PARTITION OF pp3 FOR VALUES IN (3);
ALTER TABLE pp ADD COLUMN c int;
ALTER TABLE pp ADD COLUMN d int NOT NULL DEFAULT 0;
ALTER TABLE pp ADD COLUMN e int;
ALTER TABLE pp ADD UNIQUE (e, a);
ALTER TABLE pp DROP COLUMN b;
ALTER TABLE pp ALTER COLUMN d DROP NOT NULL;
ALTER TABLE pp ALTER COLUMN c SET NOT NULL;
ALTER TABLE pp RENAME COLUMN d TO dd;
ALTER TABLE pp ADD COLUMN s serial;
ALTER TABLE pp ADD CONSTRAINT pp_u UNIQUE (a, c, dd);
"""


def test_column_changes_through_the_parent_reach_partitions_and_children(pg_url: str) -> None:
    _same_as_server_written_and_dumped(pg_url, COLUMNS_THROUGH_THE_PARENT)


# A child restating an inherited column in another spelling of its type merges it (MergeAttributes compares the
# type itself); before, the spelling was compared and the child's own key was lost with the statement.
RESTATED_IN_ANOTHER_SPELLING = """CREATE TABLE par (id integer NOT NULL, code varchar(10), at timestamptz, n int4);
CREATE TABLE ch (id int PRIMARY KEY, code character varying(10) UNIQUE, at timestamp with time zone, n integer)
    INHERITS (par);
CREATE TABLE ch2 (n int4 NOT NULL, at timestamptz DEFAULT now(), UNIQUE (n, at)) INHERITS (par);
"""


def test_an_inherited_column_restated_in_another_spelling_merges(pg_url: str) -> None:
    _same_as_server_written_and_dumped(pg_url, RESTATED_IN_ANOTHER_SPELLING)


# An index made on a partitioned table attaches a sub-partitioned partition's equivalent index even when that one
# is ON ONLY and still invalid: the new index is invalid too (so ON CONFLICT inference passes it over).
INVALID_BELOW = """CREATE TABLE p (a int NOT NULL, b int) PARTITION BY RANGE (a);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10) PARTITION BY LIST (b);
CREATE TABLE p1x PARTITION OF p1 FOR VALUES IN (1);
CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20) PARTITION BY LIST (b);
CREATE TABLE p2x PARTITION OF p2 FOR VALUES IN (1);
CREATE UNIQUE INDEX p1u ON ONLY p1 (a, b);
CREATE UNIQUE INDEX pu ON p (a, b);
CREATE TABLE q (a int NOT NULL, b int) PARTITION BY RANGE (a);
CREATE TABLE q1 PARTITION OF q FOR VALUES FROM (0) TO (10) PARTITION BY LIST (b);
CREATE TABLE q1x PARTITION OF q1 FOR VALUES IN (1);
CREATE TABLE q1y PARTITION OF q1 FOR VALUES IN (2) PARTITION BY LIST (a);
CREATE TABLE q1yy PARTITION OF q1y FOR VALUES IN (3);
CREATE INDEX q1yi ON ONLY q1y (b);
CREATE INDEX qi ON q (b);
"""


def test_an_index_attaching_an_invalid_index_below_is_invalid(pg_url: str) -> None:
    _same_as_server_written_and_dumped(pg_url, INVALID_BELOW)
    assert _validity(catalog_from_ddl(INVALID_BELOW, "postgresql"))[("p", "pu")] is False


# SET LOCAL (and set_config(..., true)) has no effect outside a transaction block and ends with it; ROLLBACK undoes
# a SET made in the block; RESET ALL is the default path; a quoted list is one schema name; '' is no schema.
SEARCH_PATH_SCOPES = """CREATE SCHEMA app;
CREATE SCHEMA "app, public";
SET LOCAL search_path = app;
CREATE TABLE t0 (a int PRIMARY KEY);
BEGIN;
SET LOCAL search_path = app;
CREATE TABLE t1 (a int PRIMARY KEY);
COMMIT;
CREATE TABLE t2 (a int PRIMARY KEY);
BEGIN;
SELECT pg_catalog.set_config('search_path', 'app', true);
CREATE TABLE t3 (a int PRIMARY KEY);
COMMIT;
CREATE TABLE t3b (a int PRIMARY KEY);
SELECT pg_catalog.set_config('search_path', 'app', true);
CREATE TABLE t4 (a int PRIMARY KEY);
SET search_path = app;
BEGIN;
SET search_path = public;
ROLLBACK;
CREATE TABLE t5 (a int PRIMARY KEY);
RESET ALL;
CREATE TABLE t6 (a int PRIMARY KEY);
SET search_path = 'app, public';
CREATE TABLE t7 (a int PRIMARY KEY);
SET search_path = '', app;
CREATE TABLE t8 (a int PRIMARY KEY);
"""


def test_search_path_scopes_as_postgresql_keeps_them(pg_url: str) -> None:
    replayed = catalog_from_ddl(SEARCH_PATH_SCOPES, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(run_pg(pg_url, SEARCH_PATH_SCOPES))
    names = {t.qualified_name for t in replayed.tables}
    assert names >= {"t0", "app.t1", "t2", "app.t3", "t3b", "t4", "app.t5", "app, public.t7"}


def test_an_empty_quoted_search_path_refuses_an_unqualified_create(pg_url: str) -> None:
    import psycopg
    import sqlalchemy as sa

    url = sa.engine.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    script = "SET search_path = '';\nCREATE TABLE t (a int);\n"
    set_path, create = script.split(";\n")[:2]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(set_path)  # type: ignore[arg-type]
        with pytest.raises(psycopg.Error) as refused:
            conn.execute(create)  # type: ignore[arg-type]
    replayed = catalog_from_ddl(script, "postgresql")
    assert replayed.tables == ()
    assert [n.split(": ", 1)[1] for n in replayed.notes] == [str(refused.value).splitlines()[0]]


# A public type named as one of pg_catalog's is hidden by it (pg_catalog comes first in the path): PostgreSQL prints
# it qualified, and ``public.int4`` is not ``int4``.
SHADOWED_TYPES = """CREATE DOMAIN public.int4 AS bigint;
CREATE TYPE public.mood AS ENUM ('a', 'b');
CREATE TABLE public.t (a public.int4 NOT NULL, b public.mood, c int4);
CREATE UNIQUE INDEX t_a ON public.t (a) WHERE (b = 'a'::public.mood);
CREATE UNIQUE INDEX t_c ON public.t (((c)::public.int4));
"""


def test_a_public_type_pg_catalog_hides_stays_qualified(pg_url: str) -> None:
    _same_as_server_written_and_dumped(pg_url, SHADOWED_TYPES)


def test_the_pg_catalog_type_names_are_the_servers(pg_url: str) -> None:
    """The list the replay ships is the server's (a name missing from it would be printed bare by mistake)."""
    import sqlalchemy as sa

    from schema_parity.sources.ddl.pg_catalog_types import PG_CATALOG_TYPES

    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            query = "SELECT DISTINCT typname FROM pg_type WHERE typnamespace = 'pg_catalog'::regnamespace"
            names = set(conn.execute(sa.text(query)).scalars())
    finally:
        engine.dispose()
    assert names - PG_CATALOG_TYPES == set()


# A partition's column has no identity (PostgreSQL 15); ATTACH clones the parent's foreign keys; DROP CONSTRAINT on a
# partitioned table drops the partitions' constraint and index cloned from it.
PARTITION_CLONES = """CREATE TABLE o (id int PRIMARY KEY);
CREATE TABLE p (id int GENERATED ALWAYS AS IDENTITY, k int NOT NULL, oid int REFERENCES o (id),
    PRIMARY KEY (id, k), CONSTRAINT p_u UNIQUE (oid, k)) PARTITION BY LIST (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);
CREATE TABLE p2 (id int NOT NULL, k int NOT NULL, oid int);
ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);
ALTER TABLE p ADD CONSTRAINT p_c CHECK (k > 0);
ALTER TABLE p DROP CONSTRAINT p_c;
ALTER TABLE p DROP CONSTRAINT p_u;
"""


def test_what_partitions_take_from_the_partitioned_table(pg_url: str) -> None:
    _same_as_server_written_and_dumped(pg_url, PARTITION_CLONES)


# A public function named as one of pg_catalog's: the bare call in a conflict target resolves as PostgreSQL resolves
# it, pg_catalog first. plpgsql bodies: PostgreSQL inlines a SQL function's, which no conflict target then matches.
_BODY = "LANGUAGE plpgsql IMMUTABLE AS 'BEGIN RETURN $1; END'"
PUBLIC_FUNCTIONS = {
    "shadowed by pg_catalog.lower(text)": (
        f"CREATE FUNCTION public.lower(text) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (e text);\nCREATE UNIQUE INDEX t_k ON public.t USING btree (public.lower(e));\n",
        "INSERT INTO t (e) VALUES ('a') ON CONFLICT (lower(e)) DO NOTHING",
        True,
    ),
    "qualified in the target too": (
        f"CREATE FUNCTION public.lower(text) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (e text);\nCREATE UNIQUE INDEX t_k ON public.t USING btree (public.lower(e));\n",
        "INSERT INTO t (e) VALUES ('a') ON CONFLICT (public.lower(e)) DO NOTHING",
        True,
    ),
    "no pg_catalog.lower takes text[]": (
        f"CREATE FUNCTION public.lower(text[]) RETURNS text[] {_BODY};\n"
        "CREATE TABLE public.t (names text[]);\n"
        "CREATE UNIQUE INDEX t_k ON public.t USING btree (public.lower(names));\n",
        "INSERT INTO t (names) VALUES ('{a}') ON CONFLICT (lower(names)) DO NOTHING",
        True,
    ),
    "a name pg_catalog has not": (
        f"CREATE FUNCTION public.sp_pubfn_only(text) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (e text);\nCREATE UNIQUE INDEX t_k ON public.t USING btree (public.sp_pubfn_only(e));\n",
        "INSERT INTO t (e) VALUES ('a') ON CONFLICT (sp_pubfn_only(e)) DO NOTHING",
        True,
    ),
    "a name pg_catalog has not, qualified in the target": (
        f"CREATE FUNCTION public.sp_pubfn_only(text) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (e text);\nCREATE UNIQUE INDEX t_k ON public.t USING btree (public.sp_pubfn_only(e));\n",
        "INSERT INTO t (e) VALUES ('a') ON CONFLICT (public.sp_pubfn_only(e)) DO NOTHING",
        True,
    ),
    "a name pg_catalog has not, qualified in the target, another function indexed": (
        f"CREATE FUNCTION public.sp_pubfn_only(text) RETURNS text {_BODY};\n"
        f"CREATE FUNCTION public.sp_pubfn_other(text) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (e text);\n"
        "CREATE UNIQUE INDEX t_k ON public.t USING btree (public.sp_pubfn_other(e));\n",
        "INSERT INTO t (e) VALUES ('a') ON CONFLICT (public.sp_pubfn_only(e)) DO NOTHING",
        True,
    ),
    "no pg_catalog.quote_ident takes two arguments": (
        f"CREATE FUNCTION public.quote_ident(text, integer) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (e text);\n"
        "CREATE UNIQUE INDEX t_k ON public.t USING btree (public.quote_ident(e, 1));\n",
        "INSERT INTO t (e) VALUES ('a') ON CONFLICT (quote_ident(e, 1)) DO NOTHING",
        True,
    ),
    # public.lower(varchar) is the exact match: chosen before pg_catalog.lower(text), which takes varchar by a cast
    "varchar: public.lower(varchar) before pg_catalog.lower(text)": (
        f"CREATE FUNCTION public.lower(character varying) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (v character varying(20));\n"
        "CREATE UNIQUE INDEX t_k ON public.t USING btree (public.lower(v));\n",
        "INSERT INTO t (v) VALUES ('a') ON CONFLICT (lower(v)) DO NOTHING",
        True,
    ),
    "varchar: an argument named, an OUT argument": (
        'CREATE FUNCTION public.lower(IN "time" character varying, OUT r text) '
        "LANGUAGE plpgsql IMMUTABLE AS 'BEGIN r := $1; END';\n"
        "CREATE TABLE public.t (v character varying(20));\n"
        "CREATE UNIQUE INDEX t_k ON public.t USING btree (public.lower(v));\n",
        "INSERT INTO t (v) VALUES ('a') ON CONFLICT (lower(v)) DO NOTHING",
        True,
    ),
    # the index's call casts text to varchar, which PostgreSQL prints: not replayed, so the table is uncertain
    "text: public.lower(varchar) by a cast, pg_catalog.lower(text) exact": (
        f"CREATE FUNCTION public.lower(character varying) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (e text);\n"
        "CREATE UNIQUE INDEX t_k ON public.t USING btree (public.lower(e));\n",
        "INSERT INTO t (e) VALUES ('a') ON CONFLICT (lower(e)) DO NOTHING",
        False,
    ),
    # a function the script does not create: its argument types are taken to be the column's
    "shadowed, created outside the script": (
        f"CREATE FUNCTION public.lower(text) RETURNS text {_BODY};\n"
        "CREATE TABLE public.t (e text);\nCREATE UNIQUE INDEX t_k ON public.t USING btree (public.lower(e));\n",
        "INSERT INTO t (e) VALUES ('a') ON CONFLICT (lower(e)) DO NOTHING",
        True,
    ),
}


def _server_status(pg_url: str, upsert: str) -> str:
    """``ok``, or ``error`` when PostgreSQL refuses the upsert for want of a matching key (42P10)."""
    import psycopg
    import sqlalchemy as sa

    url = sa.engine.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        try:
            conn.execute(upsert)  # type: ignore[arg-type]
        except psycopg.errors.InvalidColumnReference:  # 42P10
            return "error"
        finally:
            conn.rollback()
    return "ok"


@pytest.mark.parametrize("case", list(PUBLIC_FUNCTIONS))
def test_a_public_function_named_as_pg_catalogs_resolves_as_postgresql_resolves_it(pg_url: str, case: str) -> None:
    """The verdict on the bare target is the server's, from the script and from its pg_dump; when the replay cannot
    tell which function the bare call takes, the table is uncertain and the verdict unresolved."""
    from schema_parity.verdicts.dispatch import check

    script, upsert, decided = PUBLIC_FUNCTIONS[case]
    real = run_pg(pg_url, script)
    server = _server_status(pg_url, upsert)
    dump = _pg_dump(pg_url)
    scripts = [script, dump]
    if "outside the script" in case:
        scripts = [script.split("\n", 1)[1]]
    for replayed in map(lambda s: catalog_from_ddl(s, "postgresql"), scripts):
        verdict = check(upsert, replayed, "postgresql")
        if decided:
            assert view(replayed) == view(real)
            assert (replayed.notes, replayed.uncertain) == ((), ())
            assert verdict.status == server
        else:
            assert [u.reason.split(": ", 1)[1] for u in replayed.uncertain] == [
                "public.lower(...) may be shadowed by pg_catalog.lower"
            ]
            assert verdict.status == "unresolved" and [p.rule for p in verdict.problems] == ["SP901"]


def test_the_pg_catalog_functions_are_the_servers(pg_url: str) -> None:
    """The functions and pseudo-types the replay ships are the server's (a stale list would print a call bare or
    qualified by mistake)."""
    import sqlalchemy as sa

    from schema_parity.pg_catalog_functions import PG_CATALOG_FUNCTIONS, PSEUDO_TYPES

    functions = (
        "SELECT proname, ARRAY(SELECT format_type(t, NULL) FROM unnest(proargtypes::oid[]) WITH ORDINALITY AS a(t, n) "
        "ORDER BY n), pronargdefaults, provariadic <> 0 FROM pg_proc "
        "WHERE pronamespace = 'pg_catalog'::regnamespace AND prokind <> 'p'"
    )
    pseudo = "SELECT format_type(oid, NULL) FROM pg_type WHERE typtype = 'p'"
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = {
                (name, tuple(args), defaults, variadic)
                for name, args, defaults, variadic in conn.execute(sa.text(functions))
            }
            pseudo_types = set(conn.execute(sa.text(pseudo)).scalars())
    finally:
        engine.dispose()
    shipped = {(name, *signature) for name, signatures in PG_CATALOG_FUNCTIONS.items() for signature in signatures}
    assert shipped == rows
    assert pseudo_types == PSEUDO_TYPES


SWEEP_TYPES = (
    "text",
    "character varying(10)",
    "character(3)",
    "integer",
    "bigint",
    "numeric",
    "text[]",
    "integer[]",
    "int4range",
)
SWEEP_NAMES = ("lower", "upper", "abs", "length", "quote_ident", "cardinality", "sp_pubfn_f")


def test_every_call_the_replay_decides_resolves_as_on_the_server(pg_url: str) -> None:
    """``public.f(c)`` for pg_catalog names and argument types: whatever the replay decides (bare, or qualified), the
    server prints the index so, and answers the bare target as the verdict says; an undecided call leaves the table
    uncertain. The script creates each function: every call is decided, either way."""
    import psycopg
    import sqlalchemy as sa

    from schema_parity.verdicts.dispatch import check

    url = sa.engine.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    seen: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for column_type in SWEEP_TYPES:
            for name in SWEEP_NAMES:
                script = (
                    f"CREATE FUNCTION public.{name}({column_type}) RETURNS text "
                    "LANGUAGE plpgsql IMMUTABLE AS 'BEGIN RETURN $1::text; END';\n"
                    f"CREATE TABLE public.t (c {column_type});\n"
                    f"CREATE UNIQUE INDEX t_k ON public.t USING btree (public.{name}(c));\n"
                )
                upsert = f"INSERT INTO t (c) VALUES (NULL) ON CONFLICT ({name}(c)) DO NOTHING"
                for statement in filter(str.strip, script.split(";\n")):
                    conn.execute(statement)  # type: ignore[arg-type]
                printed = conn.execute("SELECT pg_get_indexdef('t_k'::regclass)").fetchone()
                try:
                    conn.execute(upsert)  # type: ignore[arg-type]
                    server = "ok"
                except psycopg.errors.InvalidColumnReference:
                    server = "error"
                conn.execute("DROP TABLE t")
                conn.execute(f"DROP FUNCTION public.{name}({column_type})")  # type: ignore[arg-type]
                replayed = catalog_from_ddl(script, "postgresql")
                verdict = check(upsert, replayed, "postgresql")
                table = replayed.table("t")
                assert table is not None and printed is not None
                expression = next(e.expression for k in table.keys for e in k.elements)
                case = (column_type, name, printed[0], expression, server, verdict.status)
                if replayed.uncertain:
                    assert verdict.status == "unresolved", case
                    seen["unsure"] = seen.get("unsure", 0) + 1
                else:
                    assert verdict.status == server, case
                    assert (f"public.{name}(" in printed[0]) == (expression is not None and "public." in expression), (
                        case
                    )
                    seen[server] = seen.get(server, 0) + 1
    assert set(seen) == {"ok", "error"}, seen
