"""One reader of SQL text for the whole project: sqlglot's tokens, statements of a script, groups and a cursor.

``tokens`` decides what is quoted (sqlglot's tokenizer per dialect), ``script`` splits a script into statements
(streaming, with psql's rules where they apply), ``groups`` reads parentheses and comma lists. The upsert parser,
the DDL replay, the SQLite reflection and the site scanner all read SQL through these three modules.
"""
