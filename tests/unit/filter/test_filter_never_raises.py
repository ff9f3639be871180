"""Whatever is typed into the filter bar, the compiler answers with a filter or a FilterError."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from filter_fakes import REG, capture
from tlstui.filter import FilterError, check_filter, compile_filter

FRAMES = capture()
ATOMS = ["tcp", "tcp.port", "ip.addr", "tls.handshake.type", "tcp.payload", "frame", "eth.src",
         "tls.handshake.extensions_server_name", "tcp.flags.syn", "ipv6.addr", "frame.time_relative",
         "==", "!=", "===", "~=", ">", "<=", "eq", "contains", "matches", "in", "not", "and", "or",
         "xor", "&&", "||", "!", "&", "(", ")", "{", "}", ",", "..", "[0:2]", "[-1]", "[1-3]", "[:",
         "443", "0x16", "-1", "16:03:01", "10.0.0.0/8", "::1", "00:11:22:33:44:55", '"abc"', '"\\x',
         '"(?i', "len(", "count(", "lower(", "upper(", "Alert", '"Client Hello"', "1.5", "True", "#",
         "$", "any", "all", "r\"a\\.b\""]


def _check(text: str) -> None:
    try:
        df = compile_filter(text, REG)
    except FilterError as e:
        assert isinstance(e.message, str) and 0 <= e.column <= len(text) and e.length >= 1
        assert e.format().count("\n") == 2
        return
    for v in FRAMES:
        assert df.matches(v) in (True, False)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_any_text(text: str) -> None:
    _check(text)
    err = check_filter(text, REG)
    assert err is None or isinstance(err, FilterError)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(ATOMS), max_size=12), st.lists(st.sampled_from(["", " "]), max_size=12))
def test_token_soup(atoms: list[str], gaps: list[str]) -> None:
    text = "".join(a + (gaps[i] if i < len(gaps) else " ") for i, a in enumerate(atoms))
    _check(text)


def test_deep_nesting() -> None:
    _check("(" * 5000 + "tcp" + ")" * 5000)
    _check("!" * 5000 + "tcp")
