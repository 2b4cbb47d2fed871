"""The session's ``search_path`` (PostgreSQL): the schema an unqualified name is created in and looked up in.

pg_dump writes ``SELECT pg_catalog.set_config('search_path', '', false);`` (every later name qualified) and, before
PostgreSQL 10 and in Rails' older ``structure.sql``, ``SET search_path = app, pg_catalog;`` before the unqualified
``CREATE TABLE`` statements of schema ``app``. A schema named in the path is taken to exist, except ``$user`` and
``''``; ``SET LOCAL`` lasts until the transaction block ends.
"""

from __future__ import annotations

from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt
from schema_parity.sql.tokens import TokenType

__all__ = ["apply"]


def apply(replay: Replay, stmt: Stmt) -> None:
    """``SET [SESSION | LOCAL] search_path …``, ``RESET search_path`` / ``RESET ALL``, pg_dump's
    ``set_config('search_path', …)``, and the transaction block a local setting lasts for."""
    cur = replay.cursor(stmt.tokens, stmt)
    if cur.word() in ("BEGIN", "START"):
        if (not cur.at("START") or cur.at("START", "TRANSACTION")) and not replay.in_block:
            replay.in_block, replay.block_path = True, replay.session_search_path
        return
    if cur.word() in ("COMMIT", "END", "ROLLBACK", "ABORT"):
        if cur.word() in ("ROLLBACK", "ABORT") and (cur.at("ROLLBACK", "TO") or cur.at("ROLLBACK", "PREPARED")):
            return  # to a savepoint: the block goes on (what the savepoint undoes is not modelled)
        if not replay.in_block or cur.at("COMMIT", "PREPARED"):
            return
        if cur.word() in ("ROLLBACK", "ABORT"):
            replay.session_search_path = replay.block_path
        replay.search_path = replay.session_search_path
        words = {t.text.upper() for t in stmt.tokens}
        replay.in_block = "CHAIN" in words and "NO" not in words
        replay.block_path = replay.session_search_path
        return
    if cur.accept("RESET"):
        if cur.accept("SEARCH_PATH") or cur.accept("ALL"):
            _set(replay, None, local=False)
    elif cur.accept("SET"):
        local = cur.accept("LOCAL")
        cur.accept("SESSION")
        if not cur.accept("SEARCH_PATH"):
            return
        if not (cur.accept("TO") or cur.type() == TokenType.EQ):
            return
        if cur.type() == TokenType.EQ:
            cur.i += 1
        if cur.accept("DEFAULT"):
            _set(replay, None, local=local)
            return
        path: list[str] = []
        for tok in cur.rest():
            if tok.token_type == TokenType.COMMA:
                continue
            path.append(tok.text if tok.token_type in (TokenType.STRING, TokenType.IDENTIFIER) else tok.text.lower())
        _set(replay, path, local=local)
    elif cur.accept("SELECT"):
        _set_config(replay, stmt)


def _set(replay: Replay, path: list[str] | None, *, local: bool) -> None:
    """A local setting has no effect outside a transaction block and lasts until its end."""
    if local and not replay.in_block:
        return
    replay.search_path = path
    if not local:
        replay.session_search_path = path


def _set_config(replay: Replay, stmt: Stmt) -> None:
    """``SELECT [pg_catalog.]set_config('search_path', 'a, "B"', is_local)``: the value is read as PostgreSQL reads
    it."""
    words = [t for t in stmt.tokens if t.token_type not in (TokenType.DOT, TokenType.L_PAREN, TokenType.R_PAREN)]
    texts = [t.text.lower() if t.token_type != TokenType.STRING else t.text for t in words]
    if texts[1:3] == ["pg_catalog", "set_config"]:
        del words[1], texts[1]
    if len(words) != 7 or texts[1] != "set_config" or texts[2] != "search_path":
        return
    if words[2].token_type != TokenType.STRING or words[4].token_type != TokenType.STRING:
        return
    if texts[6] not in ("true", "false"):
        return
    path = []
    for written in words[4].text.split(","):
        part = written.strip()
        if part:
            path.append(part[1:-1].replace('""', '"') if part.startswith('"') else part.lower())
    _set(replay, path, local=texts[6] == "true")
