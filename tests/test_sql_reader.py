"""The shared SQL reader: statements of a script, read in chunks, with psql's rules and positions in the script."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot.errors import TokenError

from schema_parity.sql.groups import Cursor, SyntaxMismatch, closing, split_commas
from schema_parity.sql.script import Script
from schema_parity.sql.tokens import SQLGLOT, dialect_tokens, expand_multiword, is_word, mask_placeholders, tokenize


def texts(script: str, **kwargs: object) -> list[str]:
    return [statement.text for statement in Script(script, "script", **kwargs)]  # type: ignore[arg-type]


def test_splits_at_top_level_semicolons_only() -> None:
    script = (
        "select 'a;b', \"c;d\", `e;f`, $$g;h$$, $t$ i; $t$, E'j\\';k';\n"
        "-- a comment; with a semicolon\n"
        "/* a /* nested; */ comment */ select 2;\n"
        "create rule r as on insert to t do instead (insert into a values (1); insert into b values (2))"
    )
    assert texts(script) == [
        "select 'a;b', \"c;d\", `e;f`, $$g;h$$, $t$ i; $t$, E'j\\';k'",
        "select 2",
        "create rule r as on insert to t do instead (insert into a values (1); insert into b values (2))",
    ]


def test_trigger_and_begin_atomic_bodies_keep_their_statements_inside() -> None:
    script = (
        "create trigger tr after insert on t begin\n"
        "  insert into u values (1) on conflict do nothing;\n"
        "  update v set a = case when 1 then 2 end;\n"
        "end;\n"
        "create function f() returns void begin atomic insert into w values (1); end;\n"
        "begin; select 1; commit;"
    )
    statements = list(Script(script, "script"))
    assert [s.text.split()[0] for s in statements] == ["create", "create", "begin", "select", "commit"]
    assert [i.text for i in statements[0].inner] == [
        "insert into u values (1) on conflict do nothing",
        "update v set a = case when 1 then 2 end",
    ]
    assert [(i.line, i.column) for i in statements[0].inner] == [(2, 3), (3, 3)]
    assert [i.text for i in statements[1].inner] == ["insert into w values (1)"]


def test_psql_commands_and_copy_data_are_skipped_only_in_psql_scripts() -> None:
    script = "\\set x 'it''s\nselect 1;\nselect 2 \\gset\ncopy t from stdin;\na\tb'c\n\\.\nselect 3;"
    assert texts(script) == ["select 1", "select 2", "copy t from stdin", "select 3"]
    assert texts("select 1 \\; select 2;", psql=False) == ["select 1 \\", "select 2"]


@pytest.mark.parametrize(
    ("tail", "what", "construct_line"),
    [
        ("select 'abc;\nselect 3;", "string", 3),
        ('select "abc;\nselect 3;', "quoted identifier", 3),
        ("select $q$ abc;\nselect 3;", "dollar-quoted string", 3),
        ("/* abc;\nselect 3;", "block comment", 3),
    ],
)
def test_an_unterminated_construct_stops_reading_and_says_from_which_line(
    tail: str, what: str, construct_line: int
) -> None:
    script = Script("select 1;\ninsert into t\n" + tail, "script")
    assert [s.text for s in script] == ["select 1"]
    assert script.unreadable is not None
    assert (script.unreadable.line, script.unreadable.construct_line, script.unreadable.what) == (
        2,
        construct_line,
        what,
    )
    assert script.unreadable.message() == (
        f"an unterminated {what} at line {construct_line}: nothing from line 2 to the end of the file was read"
    )


def test_positions_are_those_of_the_whole_script_across_chunks() -> None:
    script = "".join(f"{'  ' * (i % 3)}insert into t{i} values ('{i}')\n  on conflict do nothing;\n" for i in range(40))
    statements = list(Script(script, "script", chunk=32))
    assert [(s.line, s.column) for s in statements] == [(2 * i + 1, 2 * (i % 3) + 1) for i in range(40)]
    assert [script[s.start : s.end] for s in statements] == [s.text for s in statements]
    second = statements[7]
    assert second.position(second.tokens[-1]) == (16, 18)


def test_copy_data_longer_than_many_chunks_is_skipped_with_positions_kept() -> None:
    """COPY data is dropped line by line as it is searched for its end: the positions after it stay exact."""
    data = "".join(f"{i}\tvalue; it's {i}\n" for i in range(500))
    script = f"select 1;\ncopy t (a, b) from stdin;\n{data}\\.\n  select 2;"
    [first, copy, last] = Script(io.StringIO(script), "script", chunk=64)
    assert (first.text, copy.text, last.text) == ("select 1", "copy t (a, b) from stdin", "select 2")
    assert (last.line, last.column, last.start) == (504, 3, script.index("select 2"))


def test_reads_a_stream() -> None:
    stream = io.StringIO("select 1; select 2")
    assert [s.text for s in Script(stream, "sqlite", chunk=4)] == ["select 1", "select 2"]


_PIECES = st.sampled_from(
    [
        "select 1",
        "insert into t (a) values ('x;y') on conflict (a) do nothing",
        "select $$a;b$$",
        "select \"q;\"",
        "-- c;\n",
        "/* c; */",
        "\n",
        "create trigger tr after insert on t begin insert into u values (1); end",
        "copy t from stdin;\nx'y\n\\.\n",
        "copy t (a, b) from stdin;\n" + "1\tit's; a\n" * 6 + "\\. \n",
        "\\echo it's\n",
        "select (1, 2)",
        "select 'it''s'",
        " ",
    ]
)


# No deadline: the first example may build the script tokenizer (and load sqlglot's PostgreSQL dialect), which is
# made on first use; on a loaded machine that alone can pass the default 200 ms, and Hypothesis then calls it flaky.
@settings(deadline=None)
@given(st.lists(st.tuples(_PIECES, st.sampled_from([";", "; ", ";\n"])), max_size=12), st.integers(1, 64))
def test_chunked_reading_equals_reading_at_once(pieces: list[tuple[str, str]], chunk: int) -> None:
    script = "".join(piece + end for piece, end in pieces)
    whole = Script(script, "script")
    chunked = Script(script, "script", chunk=chunk)
    expected = [(s.text, s.start, s.line, s.column, [(i.text, i.line, i.column) for i in s.inner]) for s in whole]
    assert [
        (s.text, s.start, s.line, s.column, [(i.text, i.line, i.column) for i in s.inner]) for s in chunked
    ] == expected
    assert chunked.unreadable == whole.unreadable


def test_tokenize_keeps_what_it_read_before_an_unterminated_string() -> None:
    tokenized = tokenize("select 1, 'abc", "postgresql")
    assert [t.text for t in tokenized.tokens] == ["select", "1", ","]
    assert tokenized.stopped_at == 10


def test_words_multiword_tokens_and_placeholders() -> None:
    text = 'create table "select" (a int primary key)'
    tokens = tokenize(text, "postgresql").tokens
    assert [is_word(t, text) for t in tokens[:3]] == [True, True, False]
    assert [t.text for t in expand_multiword(tokens, text)][-3:] == ["primary", "key", ")"]
    assert mask_placeholders("values (%(a)s, :b, '%s', ?)") == ("values (?    , ? , '%s', ?)", 3)


def test_groups_and_cursor() -> None:
    text = "t (a, f(b, c), (d)) rest"
    tokens = tokenize(text, "postgresql").tokens
    assert closing(tokens, 1) == len(tokens) - 2
    assert [[t.text for t in item] for item in split_commas(tokens[2:-2])] == [
        ["a"],
        ["f", "(", "b", ",", "c", ")"],
        ["(", "d", ")"],
    ]
    cursor = Cursor(tokens, text)
    assert cursor.qualified() == (None, "t")
    assert len(cursor.group()) == len(tokens) - 4
    assert cursor.accept("REST") and cursor.done
    with pytest.raises(SyntaxMismatch):
        cursor.expect("MORE")
    with pytest.raises(SyntaxMismatch):
        closing(tokens[:3], 1)


def test_each_thread_tokenizes_with_its_own_tokenizer() -> None:
    """Tokenizers are kept per thread (a tokenizer holds the text it reads): threads tokenizing at once each get the
    tokens of their own text, the same as a tokenizer built for the call, and an error leaves the next call intact."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"insert into t{i} values ({i}, 'v{i}', E'a\\n') on conflict (a) do nothing" for i in range(300)]

    def both(text: str) -> tuple[list[tuple[object, str, int, int]], list[tuple[object, str, int, int]]]:
        with pytest.raises(TokenError):
            dialect_tokens("select 'unterminated", "postgresql")
        mine = [(t.token_type, t.text, t.start, t.end) for t in dialect_tokens(text, "postgresql")]
        fresh = [(t.token_type, t.text, t.start, t.end) for t in SQLGLOT["postgres"].tokenize(text)]
        return mine, fresh

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(both, texts))
    assert all(mine == fresh for mine, fresh in results)
    assert results[7][0][2][1] == "t7"
