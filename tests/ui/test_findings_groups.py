"""The grouped findings pane: kinds, then servers / certificates, with counts; Enter opens; n, } walk."""
from __future__ import annotations

import pytest

from tlstui.findings.grouping import group_findings
from tlstui.ui.app import TlsTuiApp

from test_findings_nav import fakes
from ui_helpers import FakeFinding, capture, ready, settle

S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")


def shown(pane) -> list[tuple[int, str]]:
    return [(e.level, str(pane.table.get_row_at(i)[2]).strip()) for i, e in enumerate(pane.rows)]


def same_groups(a, b) -> bool:
    """Kinds, groups, counts and members (by identity) the same."""
    return [(k.kind, k.count, dict(k.counts), [(g.label, g.count, [id(f) for f in g.findings]) for g in k.groups])
            for k in a.kinds] == \
        [(k.kind, k.count, dict(k.counts), [(g.label, g.count, [id(f) for f in g.findings]) for g in k.groups])
         for k in b.kinds]


async def test_pane_opens_on_collapsed_kinds_with_grouping_counts(fake_findings):
    fake_findings["findings"] = fakes()
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        pane = app.findings_pane
        expected = group_findings(app.findings, app.session)
        assert same_groups(pane.groups, expected)
        # One row per kind, closed, each with the kind's count, most severe first.
        rows = shown(pane)
        assert [lvl for lvl, _ in rows] == [0] * len(expected.kinds)
        for (_, text), k in zip(rows, expected.kinds):
            assert text.startswith(f"▸ {k.kind}: {k.count} finding")
        assert [k.kind for k in expected.kinds] == ["tls.reuse_after_close_notify", "tls.truncated_close",
                                                    "tls.encrypted_alert", "tcp.reset"]
        # The server is named from the connection table: stream 1 is 127.0.0.1:443 with its SNI.
        alerts = expected.kinds[2]
        assert alerts.count == 2 and alerts.groups[0].label == "127.0.0.1:443 (SNI server.tlslab.test)"


async def test_enter_opens_a_kind_and_its_members_then_closes(fake_findings):
    fake_findings["findings"] = fakes()
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        pane = app.findings_pane
        pane.table.focus()
        await pilot.press("down", "down")  # the tls.encrypted_alert kind (2 findings, one server)
        await settle(pilot)
        assert pane.entry_at(pane.table.cursor_row).kind.kind == "tls.encrypted_alert"
        assert app.frame_list.selected == 30  # a group's row selects its first member's frame
        await pilot.press("enter")
        await settle(pilot)
        levels = [lvl for lvl, _ in shown(pane)]
        assert levels == [0, 0, 0, 1, 2, 2, 0]  # its one server group opened with it: both members
        members = [e.finding for e in pane.rows if e.level == 2]
        assert [f.frames[0] for f in members] == [30, 32]
        assert "2 finding" in str(pane.query_one("#finding-explanation").render())
        # Down onto the second member selects its frame; Left closes the group, again its kind.
        await pilot.press("down", "down", "down")
        await settle(pilot)
        assert pane.entry_at(pane.table.cursor_row).finding is members[1]
        assert app.frame_list.selected == 32
        await pilot.press("left")
        await settle(pilot)
        assert [lvl for lvl, _ in shown(pane)] == [0, 0, 0, 1, 0]
        assert pane.entry_at(pane.table.cursor_row).level == 1
        await pilot.press("left")
        await settle(pilot)
        assert [lvl for lvl, _ in shown(pane)] == [0, 0, 0, 0]
        # A click on a closed kind opens it at once.
        await pilot.click(pane.table, offset=(3, 4))  # header, then rows 0..3: the tcp.reset kind
        await settle(pilot, 5)
        assert [lvl for lvl, _ in shown(pane)] == [0, 0, 0, 0, 1, 2]
        assert pane.rows[5].finding.kind == "tcp.reset"


async def test_n_walks_members_and_braces_walk_groups(fake_findings):
    many = fakes() + [FakeFinding("tcp.reset", "note", "1 reset in stream 1", "", [33], 1)]
    fake_findings["findings"] = many
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        pane = app.findings_pane
        app.frame_list.focus()
        # n / N walk the findings one by one in frame order, opening each one's group in the pane.
        await pilot.press("n")
        await settle(pilot)
        assert app.frame_list.selected == 4
        e = pane.entry_at(pane.table.cursor_row)
        assert e.finding is app.current_finding and e.finding.kind == "tls.truncated_close"
        await pilot.press("n")
        await settle(pilot)
        assert app.frame_list.selected == 13
        assert pane.entry_at(pane.table.cursor_row).finding.kind == "tls.reuse_after_close_notify"
        # } / { walk the groups in the pane's order; the pane's cursor on the group's row.
        order = list(pane.groups.groups())
        # (both resets are about one server: one group of 2, before the 2 encrypted alerts by first frame)
        assert [(g.kind, g.count) for g in order] == [("tls.reuse_after_close_notify", 1), ("tls.truncated_close", 1),
                                                      ("tcp.reset", 2), ("tls.encrypted_alert", 2)]
        await pilot.press("right_curly_bracket")
        await settle(pilot)
        assert app.current_finding.kind == "tls.truncated_close" and app.frame_list.selected == 4
        row = pane.entry_at(pane.table.cursor_row)
        assert row.level == 1 and row.group is order[1]
        for want in (2, 3, 0):  # ... and round again
            await pilot.press("right_curly_bracket")
            await settle(pilot)
            assert pane.entry_at(pane.table.cursor_row).group is order[want]
            assert app.frame_list.selected == order[want].findings[0].frames[0]
        await pilot.press("left_curly_bracket")
        await settle(pilot)
        assert pane.entry_at(pane.table.cursor_row).group is order[3]
        assert app.frame_list.selected == 30
        # Copy summary (S) on a group row copies its first member's summary.
        pane.table.focus()
        await settle(pilot)
        assert pane.finding_at(pane.table.cursor_row) is order[3].findings[0]


async def test_real_findings_group_as_the_cli_does():
    pytest.importorskip("tlstui.findings")
    app = TlsTuiApp(S07)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert app.findings
        pane = app.findings_pane
        expected = group_findings(app.findings, app.session)
        got = pane.groups
        key = lambda gs: [(k.kind, k.count, [(g.label, g.count) for g in k.groups]) for k in gs.kinds]  # noqa: E731
        assert key(got) == key(expected)
        assert len(pane.rows) == len(expected.kinds)


async def test_quick_jumps_leave_the_list_on_the_last_finding(fake_findings):
    fake_findings["findings"] = fakes()
    app = TlsTuiApp(S07)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        app.frame_list.focus()
        # Each jump opens a group (the pane rebuilds its rows): the highlights that causes must
        # not move the list to another finding, however fast the keys come.
        await pilot.press("n", "n", "n", "n", "N", "right_curly_bracket", "n")
        await settle(pilot, 8)
        f = app.current_finding
        assert app.frame_list.selected == f.frames[0]
        assert app.findings_pane.finding_at(app.findings_pane.table.cursor_row) is f


async def test_group_rows_and_explanations_are_escaped(fake_findings):
    fake_findings["findings"] = [FakeFinding("tls.alert", "error", "alert from \x1b[31mevil\x07", "why \u202e", [9], 0)]
    app = TlsTuiApp(S07)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        pane = app.findings_pane
        pane.table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert [e.level for e in pane.rows] == [0, 1, 2]
        await pilot.press("down", "down")
        await settle(pilot)
        drawn = "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())
        assert "\x1b" not in drawn and "\x07" not in drawn and "\u202e" not in drawn
        assert "\\x1b[31mevil\\x07" in str(pane.table.get_row_at(2)[2])
        assert "why \\u202e" in str(pane.query_one("#finding-explanation").render())


async def test_a_jump_closes_what_the_last_jump_opened_not_what_the_user_opened(fake_findings):
    fake_findings["findings"] = fakes()
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        pane = app.findings_pane
        # The user opens tcp.reset (the last kind row).
        pane.table.focus()
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        assert pane.open_kinds == {"tcp.reset"}
        app.frame_list.focus()
        app.frame_list.select_frame(1)  # (the table's cursor took the list to frame 18)
        app.current_finding = None
        await settle(pilot)
        await pilot.press("n")  # frame 4: tls.truncated_close opens
        await settle(pilot)
        assert pane.open_kinds == {"tcp.reset", "tls.truncated_close"}
        await pilot.press("n")  # frame 13: tls.reuse_after_close_notify opens, truncated_close closes
        await settle(pilot)
        assert pane.open_kinds == {"tcp.reset", "tls.reuse_after_close_notify"}
        assert pane.entry_at(pane.table.cursor_row).finding is app.current_finding
        await pilot.press("n")  # frame 18: tcp.reset, which the user opened: it stays open after
        await pilot.press("n")  # frame 30
        await settle(pilot)
        assert pane.open_kinds == {"tcp.reset", "tls.encrypted_alert"}
