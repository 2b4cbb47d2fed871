"""The small schemas the rules' examples share (``explain`` pages use ``T*``, docs/rules.md ``T_ID``)."""

from __future__ import annotations

T = "CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0);\n"
T_KEY = T + "CREATE UNIQUE INDEX uq_t_host_code ON t (host, code);\n"
T_CONSTRAINT = (
    "CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0,\n"
    "  CONSTRAINT uq_t_host_code UNIQUE (host, code), CONSTRAINT ck_t_code CHECK (code > 0));\n"
)
T_ID = "CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);\n"
