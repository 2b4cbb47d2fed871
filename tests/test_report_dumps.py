"""The reports' JSON text is ``json.dumps(indent=2)``'s, byte for byte, whatever the values."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schema_parity.report.json import dumps_indented


class _Color(str, Enum):
    RED = "red"


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.just(_Color.RED)  # a str subclass: left to json.dumps
)
_keys = st.text() | st.integers() | st.booleans() | st.none()  # json.dumps turns non-str keys into strings
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple) | st.dictionaries(_keys, inner, max_size=4)
    ),
    max_leaves=30,
)


@given(_values)
def test_dumps_indented_is_json_dumps_indent_2(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2)


def test_plain_keys_and_nesting() -> None:
    value = {"a": [], "b": {}, "c": [1, 2.5, None, True, "é\n"], "d": {"e": ({"f": False},)}}
    assert dumps_indented(value) == json.dumps(value, indent=2)
