"""A pcapng's Decryption Secrets Block decrypts its TLS, as tshark does, with no --keylog."""
from __future__ import annotations

import factory
from factory import DATA
from tlstui.session import Session


def _pcapng_with_secrets(tmp_path, name: str) -> str:
    keys = (DATA / f"{name}.keys").read_bytes()
    blocks = [factory.shb(), factory.idb("<", 1), factory.dsb("<", 0x544C534B, keys)]
    blocks += [factory.epb("<", 0, t // 1000, data, orig) for t, data, orig in factory.real_frames(f"{name}.pcap")]
    path = tmp_path / f"{name}.pcapng"
    path.write_bytes(b"".join(blocks))
    return str(path)


def _http_lines(session: Session) -> list[str]:
    out = []
    for n in range(1, len(session) + 1):
        out += [str(f.value) for f in session.tree(n).fields("http.request.method")]
    return out


def test_secrets_in_the_file_decrypt_without_a_key_log(tmp_path, monkeypatch):
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    name = "s01_tls12_http_close_notify"
    with_dsb = Session.open(_pcapng_with_secrets(tmp_path, name), lazy=True)  # lazy: the TUI's way
    with_dsb.analyze()
    with_keylog = Session.open(str(DATA / f"{name}.pcap"), keylog=str(DATA / f"{name}.keys"))
    with_keylog.analyze()
    plain = Session.open(str(DATA / f"{name}.pcap"))
    plain.analyze()
    assert _http_lines(plain) == []
    assert _http_lines(with_dsb) == _http_lines(with_keylog) != []
