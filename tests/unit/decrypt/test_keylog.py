"""Key log parsing: files, DSB bytes, $SSLKEYLOGFILE; bad lines are reported, never raised."""
from __future__ import annotations

from hypothesis import given, strategies as st

from tlstui.tls.decrypt import KeyLog, load_keylog
from tlstui.tls.decrypt.keylog import SECRETS_TYPE_TLS

CR = "aa" * 32
MS = "bb" * 48
S32 = "cc" * 32


def test_parse_every_label():
    text = f"""# comment
CLIENT_RANDOM {CR} {MS}
CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR} {S32}
SERVER_HANDSHAKE_TRAFFIC_SECRET {CR} {S32}
CLIENT_TRAFFIC_SECRET_0 {CR} {S32}
SERVER_TRAFFIC_SECRET_0 {CR} {S32}
EXPORTER_SECRET {CR} {S32}
EARLY_EXPORTER_SECRET {CR} {S32}
CLIENT_EARLY_TRAFFIC_SECRET {CR} {S32}

RSA 0011223344556677 {MS}
"""
    kl = KeyLog.parse(text)
    assert kl.problems == []
    cr = bytes.fromhex(CR)
    assert kl.get(cr, "CLIENT_RANDOM") == bytes.fromhex(MS)
    assert kl.get(cr, "SERVER_TRAFFIC_SECRET_0") == bytes.fromhex(S32)
    assert len(kl.secrets[cr]) == 8
    assert kl.has(cr) and not kl.has(b"\0" * 32)


def test_bad_lines_have_line_numbers_and_the_rest_is_kept():
    text = "\n".join([
        f"CLIENT_RANDOM {CR} {MS}",          # 1 ok
        "CLIENT_RANDOM zz" + CR[2:] + " " + MS,  # 2 not hex
        f"CLIENT_RANDOM {CR[:10]} {MS}",     # 3 short random
        f"CLIENT_RANDOM {CR} {MS[:20]}",     # 4 short master secret
        "BOGUS_LABEL a b",                   # 5 unknown label
        f"CLIENT_RANDOM {CR}",               # 6 missing field
        f"SERVER_TRAFFIC_SECRET_0 {'dd' * 32} {S32}",  # 7 ok
    ])
    kl = KeyLog.parse(text, "keys.txt")
    lines = [p.line for p in kl.problems]
    assert lines == [2, 3, 4, 5, 6]
    assert str(kl.problems[0]).startswith("keys.txt:2: ")
    assert "unknown label" in kl.problems[3].message
    assert len(kl) == 2


def test_file_missing_is_a_problem_not_an_exception(tmp_path):
    kl = KeyLog.from_file(tmp_path / "nope.keys")
    assert len(kl) == 0 and kl.problems and "cannot read" in kl.problems[0].message


def test_dsb_and_env_and_merge(tmp_path):
    f = tmp_path / "a.keys"
    f.write_text(f"CLIENT_RANDOM {CR} {MS}\n")
    env_file = tmp_path / "env.keys"
    env_file.write_text(f"CLIENT_TRAFFIC_SECRET_0 {'ee' * 32} {S32}\n")

    class Block:
        secrets_type = SECRETS_TYPE_TLS
        data = f"SERVER_TRAFFIC_SECRET_0 {'ff' * 32} {S32}\n".encode()

    other = type("Other", (), {"secrets_type": 0x5353484B, "data": b"ssh stuff"})()
    kl = load_keylog(str(f), [Block(), other], environ={"SSLKEYLOGFILE": str(env_file)})
    assert kl is not None and len(kl) == 3
    assert kl.problems == []
    assert load_keylog(None, [], environ={}) is None
    assert load_keylog(None, [(SECRETS_TYPE_TLS, Block.data)], use_env=False) is not None


def test_crlf_and_bom():
    kl = KeyLog.parse(("\ufeff" + f"CLIENT_RANDOM {CR} {MS}\r\n").encode("utf-8"))
    assert kl.problems == [] and len(kl) == 1


@given(st.binary(max_size=400))
def test_never_raises(data):
    KeyLog.parse(data)
