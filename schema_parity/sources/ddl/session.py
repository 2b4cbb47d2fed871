"""The session's ``search_path`` (PostgreSQL): the schema an unqualified name is created in and looked up in.

pg_dump writes ``SELECT pg_catalog.set_config('search_path', '', false);`` (every later name qualified) and, before
PostgreSQL 10 and in Rails' older ``structure.sql``, ``SET search_path = app, pg_catalog;`` before the unqualified
``CREATE TABLE`` statements of schema ``app``. A schema named in the path is taken to exist, except ``$user``.
"""

from __future__ import annotations

from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt
from schema_parity.sql.tokens import TokenType

__all__ = ["apply"]


def apply(replay: Replay, stmt: Stmt) -> None:
    """``SET [SESSION | LOCAL] search_path …``, ``RESET search_path`` or pg_dump's ``set_config('search_path', …)``."""
    cur = replay.cursor(stmt.tokens, stmt)
    if cur.accept("RESET", "SEARCH_PATH"):
        replay.search_path = None
    elif cur.accept("SET"):
        cur.skip("SESSION", "LOCAL")
        if not cur.accept("SEARCH_PATH"):
            return
        if not (cur.accept("TO") or cur.type() == TokenType.EQ):
            return
        if cur.type() == TokenType.EQ:
            cur.i += 1
        if cur.accept("DEFAULT"):
            replay.search_path = None
            return
        path: list[str] = []
        for tok in cur.rest():
            if tok.token_type == TokenType.COMMA:
                continue
            path.append(tok.text if tok.token_type in (TokenType.STRING, TokenType.IDENTIFIER) else tok.text.lower())
        replay.search_path = path
    elif cur.accept("SELECT"):
        _set_config(replay, stmt)


def _set_config(replay: Replay, stmt: Stmt) -> None:
    """``SELECT [pg_catalog.]set_config('search_path', 'a, "B"', false)``: the value is read as PostgreSQL reads it."""
    words = [t for t in stmt.tokens if t.token_type not in (TokenType.DOT, TokenType.L_PAREN, TokenType.R_PAREN)]
    texts = [t.text.lower() if t.token_type != TokenType.STRING else t.text for t in words]
    if texts[1:3] == ["pg_catalog", "set_config"]:
        del words[1], texts[1]
    if len(words) != 7 or texts[1] != "set_config" or texts[2] != "search_path":
        return
    if words[2].token_type != TokenType.STRING or words[4].token_type != TokenType.STRING:
        return
    path = []
    for written in words[4].text.split(","):
        part = written.strip()
        if part:
            path.append(part[1:-1].replace('""', '"') if part.startswith('"') else part.lower())
    replay.search_path = path
