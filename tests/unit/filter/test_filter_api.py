"""The public API around the compiler: fields read, errors as text, the filter bar's helpers."""
from __future__ import annotations

import pytest

from filter_fakes import REG, capture, make_frame
from tlstui.field import Field
from tlstui.filter import DisplayFilter, FilterError, check_filter, compile_filter, complete_field
from tlstui.registry import FieldSpec, FieldType, Registry


def test_fields_lists_every_name_read() -> None:
    df = compile_filter('tcp.stream eq 3 and (tls or frame[0:2] == 00:00) and len(tcp.payload) > 1 '
                        'and count(ip.addr) == 2 and tls.handshake.type in {1, tcp.srcport}', REG)
    assert isinstance(df, DisplayFilter)
    assert df.fields == frozenset({"tcp.stream", "tls", "frame", "tcp.payload", "ip.addr",
                                   "tls.handshake.type", "tcp.srcport"})
    assert df.text.startswith("tcp.stream")


def test_filter_reads_only_what_it_names() -> None:
    asked: list[str] = []
    view = capture()[3]

    class Spy:
        def fields(self, name: str) -> list[Field]:
            asked.append(name)
            return view.fields(name)

        def field_bytes(self, f: Field) -> bytes:
            return view.field_bytes(f)

    df = compile_filter("tcp.port == 443 and tcp.payload[0] == 16", REG)
    assert df.matches(Spy())
    assert set(asked) == df.fields


def test_empty_filter_matches_everything() -> None:
    df = compile_filter("   ", REG)
    assert df.fields == frozenset()
    assert all(df.matches(v) for v in capture())
    assert check_filter("", REG) is None


def test_format_has_message_column_and_caret() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter("ip.addr == 10.0.0.300", REG)
    lines = info.value.format().splitlines()
    assert len(lines) == 3
    assert "not a valid hostname or IPv4 address" in lines[0] and "column 12" in lines[0]
    assert lines[1] == "    ip.addr == 10.0.0.300"
    assert lines[2] == "    " + " " * 11 + "^" + "~" * 9


def test_format_escapes_control_characters() -> None:
    err = check_filter("tcp.port == \x1b[31m", REG)
    assert err is not None
    assert "\x1b" not in err.format()


def test_unclosed_paren_points_at_it() -> None:
    err = check_filter("tcp and (udp or (ip)", REG)
    assert err is not None and err.column == 8
    assert err.format().splitlines()[2] == "    " + " " * 8 + "^"


def test_check_filter() -> None:
    assert check_filter("tls.handshake.type == 1", REG) is None
    err = check_filter("tls.handshake.typo == 1", REG)
    assert isinstance(err, FilterError) and err.column == 0 and err.length == len("tls.handshake.typo")


def test_complete_field() -> None:
    names = complete_field("tcp.flags.", REG)
    assert names == ["tcp.flags.ack", "tcp.flags.fin", "tcp.flags.push", "tcp.flags.reset", "tcp.flags.syn"]
    assert "tls.handshake.type" in complete_field("tls.hand", REG)
    assert "len(" in complete_field("le", REG)
    assert complete_field("nosuch", REG) == []
    assert complete_field("tcp.", REG, limit=3) == complete_field("tcp.", REG)[:3]


def test_value_names_come_from_the_registry() -> None:
    reg = Registry()
    reg.add(FieldSpec("x", FieldType.UINT, "x", bits=8, value_names={7: "Seven Up"}))
    view = _View([Field("x", "", 7)])
    assert compile_filter('x == "seven up"', reg).matches(view)
    assert compile_filter("x in {1, \"Seven Up\"}", reg).matches(view)
    with pytest.raises(FilterError):
        compile_filter("x == eight", reg)


def test_signed_and_float_fields() -> None:
    reg = Registry()
    reg.add(FieldSpec("s", FieldType.INT, "s", bits=8))
    reg.add(FieldSpec("d", FieldType.DOUBLE, "d"))
    view = _View([Field("s", "", -5), Field("d", "", 2.5)])
    assert compile_filter("s == -5 and s < 0 and d > 2 and d == 2.5", reg).matches(view)
    assert check_filter("s == 128", reg).column == 5  # type: ignore[union-attr]
    assert check_filter("s == -129", reg) is not None


def test_negative_number_on_unsigned_matches_nothing_like_tshark() -> None:
    frames = capture()
    assert not any(compile_filter("tcp.srcport > -1", REG).matches(v) for v in frames)
    assert all(compile_filter("frame.len != -1", REG).matches(v) for v in frames)


def test_absolute_time_literals() -> None:
    view = make_frame(1, time=0.5)  # frame.time = 1700000000.5 (2023-11-14 22:13:20.5 UTC)
    assert compile_filter('frame.time > "2023-11-14 22:13:20 UTC"', REG).matches(view)
    assert not compile_filter('frame.time > "Nov 14, 2023 22:13:21 UTC"', REG).matches(view)
    assert compile_filter('frame.time == "2023-11-14 22:13:20.5 UTC"', REG).matches(view)
    assert check_filter('frame.time > "yesterday"', REG) is not None


def test_matches_can_be_made_case_sensitive() -> None:
    view = capture()[3]
    assert compile_filter('tls.handshake.extensions_server_name matches "SERVER"', REG).matches(view)
    assert not compile_filter('tls.handshake.extensions_server_name matches "(?-i)SERVER"', REG).matches(view)


def test_string_function_and_slices_out_of_range() -> None:
    view = capture()[1]
    assert compile_filter('string(ip.id) == "0x0000"', REG).matches(view)
    assert not compile_filter("frame[5000:2] == 00:00", REG).matches(view)
    assert not compile_filter("frame[5000:2]", REG).matches(view)
    assert compile_filter("frame[-1:] == 00", REG).matches(view) == (view.data[-1:] == b"\x00")


class _View:
    def __init__(self, fields: list[Field]) -> None:
        self._f = fields

    def fields(self, name: str) -> list[Field]:
        return [f for f in self._f if f.name == name]

    def field_bytes(self, f: Field) -> bytes:
        return b""


def test_a_value_of_the_wrong_type_does_not_raise() -> None:
    reg = Registry()
    reg.add(FieldSpec("b", FieldType.BYTES, "b"))
    view = _View([Field("b", "", None)])  # a dissector that forgot the value
    assert compile_filter("b > 17", reg).matches(view) is False
    assert compile_filter("b contains 17", reg).matches(view) is False
    assert compile_filter("b", reg).matches(view) is True
