"""Forms that ``pg_dump --schema-only`` (and Rails' / Ecto's ``structure.sql``) write, replayed against PostgreSQL.

Each script is executed on a fresh database and reflected; the replay of the same script must give the same
Catalog (``tests.test_ddl.view``: columns, keys, predicates, expressions, nullability) and no note.
"""

from __future__ import annotations

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
