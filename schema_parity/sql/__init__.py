"""One reader of SQL text for the whole project: sqlglot's tokens, statements of a script, groups and a cursor.

``tokens`` decides what is quoted (sqlglot's tokenizer per dialect, one per thread), ``script`` splits a script into
statements (streaming, with psql's rules where they apply), ``groups`` reads parentheses and comma lists, and
``skim`` steps over a statement without tokenizing it (one compiled pattern for what ends or hides a statement).
The upsert parser, both verdicts, the DDL replay and the SQLite reflection read SQL through these modules; the site
scanner (``schema_parity.sites.sql``) skims a script and tokenizes only the statements that may hold an upsert,
with the ``scan`` lexicon.
"""
