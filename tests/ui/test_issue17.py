"""Issue 17: the ten problems a first session found, each shown with Pilot."""
from __future__ import annotations

from tlstui.ui.app import TlsTuiApp, demo_paths
from tlstui.ui.screens import FollowScreen, LinesView, TlsStreamScreen, plain_lines

from test_filter_bar import shown, type_text, wait_filter
from test_screens import lines_text, wait_screen
from ui_helpers import capture, ready, settle

S04 = capture("s04_mtls12_no_client_cert.pcap")
S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")
S12A = capture("s12a_tampered_retransmission.pcap")


# --- 1. follow TCP: directions told apart, counts, search; follow TLS: no dot-garbage ------------
async def test_follow_tcp_marks_directions_counts_bytes_and_searches(fake_findings):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(4)
        app.frame_list.focus()
        await pilot.press("t")
        screen = await wait_screen(app, pilot, FollowScreen)
        view = screen.query_one(LinesView)
        sent = [sum(len(c.data) for c in screen.chunks if c.direction == d) for d in (0, 1)]
        title = str(screen.query_one("#title").render())
        assert f"{sent[0]} bytes" in title and f"{sent[1]} bytes" in title and sent[0] != sent[1]
        # Each ASCII line carries its direction: a gutter mark and the direction's colour.
        marks = {line.plain[:2] for line in view.lines}
        assert marks == {"▶ ", "◀ "}
        client = next(l for l in view.lines if l.plain.startswith("▶"))
        server = next(l for l in view.lines if l.plain.startswith("◀"))
        assert client.style != server.style and client.style.color != server.style.color
        # ... and on screen: the drawn cells carry the two directions' colours.
        ci, si = view.lines.index(client), view.lines.index(server)
        drawn = [{seg.style.color for seg in view.render_line(i - round(view.scroll_y)) if seg.text.strip()}
                 for i in (ci, si)]
        assert client.style.color in drawn[0] and server.style.color in drawn[1]
        # Search: / opens the search line, Enter finds and highlights, n goes on.
        import re

        term = next(m.group() for l in view.lines for m in [re.search(r"[A-Za-z]{5,}", l.plain[2:])] if m)
        await pilot.press("slash")
        assert app.focused is screen.query_one("#search-input")
        await type_text(pilot, term)
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is view
        first = view.found
        assert first >= 0 and view.term == term and term.lower() in view.lines[first].plain.lower()
        assert "matching lines" in str(screen.query_one("#search-status").render())
        # The match is drawn reversed on screen.
        strip = view.render_line(first - round(view.scroll_y))
        assert any(seg.style and seg.style.reverse and term.lower() in seg.text.lower() for seg in strip)
        count = view.matches()
        await pilot.press("n")
        await settle(pilot)
        assert (view.found != first) == (count > 1)
        # A made-up term is reported as not found.
        await pilot.press("slash")
        await type_text(pilot, "zzqqzz")
        await pilot.press("enter")
        await settle(pilot)
        assert "not found" in str(screen.query_one("#search-status").render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, FollowScreen)


def test_binary_record_bytes_are_a_hex_dump_and_text_stays_text():
    cert = bytes(range(256)) * 8
    lines = plain_lines(cert, 80)
    assert lines[0].startswith("00000000  00 01 02 03")
    assert len(lines) == 17 and "more bytes" in lines[-1]
    assert not any("......" in l[:58] for l in lines[:16])
    assert plain_lines(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 80) [:2] == ["GET / HTTP/1.1", "Host: x"]


async def test_follow_tls_on_the_decrypted_demo_has_no_dot_garbage(fake_findings):
    pcap, keys = demo_paths()
    app = TlsTuiApp(pcap, keys)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot, timeout=60)
        app.frame_list.select_frame(115)  # the stream whose decrypted data has 16 KB of binary
        await pilot.press("T")
        await wait_screen(app, pilot, TlsStreamScreen)
        text = lines_text(app)
        assert any(l.strip().startswith("00000000  ") for l in text)  # binary: a hex dump
        assert any("more bytes" in l for l in text)
        assert not any("........" in l for l in text if not l.strip()[:8].isalnum())
        assert any("Finished" in l for l in text)  # decoded message names


# --- 2. a filter that matches after one that matched nothing fills the tree and hex -----------
async def test_matching_filter_after_an_empty_one_fills_tree_and_hex(fake_findings):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.apply_filter_text("tcp.port == 1")
        await wait_filter(app, pilot)
        assert shown(app) == [] and app.current_tree is None
        app._filter_view = None
        app.apply_filter_text("tcp.flags.reset==1")
        await wait_filter(app, pilot)
        await settle(pilot, 5)
        assert shown(app) == [18]
        assert app.current_tree is not None and app.current_tree.number == 18
        assert app.tree_pane.root.children
        assert app.hex_pane.hex.data


# --- 5. Escape keeps the applied filter; the hint line says what is applied ---------------------
async def test_escape_keeps_the_filter_and_the_hint_is_never_stale(fake_findings):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "tcp.flags.reset==1")
        await pilot.press("enter")
        await wait_filter(app, pilot)
        assert app.focused is app.frame_list
        assert "applied" in str(app.filter_bar.status.render())
        app.apply_filter_text("tls.alert_message")  # a prefix of other fields: still says "applied"
        await wait_filter(app, pilot)
        assert "✓ applied" in str(app.filter_bar.status.render())
        app.apply_filter_text("tcp.flags.reset==1")
        await wait_filter(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, " or tls")
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is app.frame_list
        assert app.applied_filter == "tcp.flags.reset==1" and shown(app) == [18]
        assert app.filter_bar.input.value == "tcp.flags.reset==1"
        # Emptying the bar (not applied yet) says what is still applied, never "no filter".
        await pilot.press("slash")
        app.filter_bar.set_text("")
        await settle(pilot)
        hint = str(app.filter_bar.status.render())
        assert "no filter" not in hint and "tcp.flags.reset==1" in hint
        await pilot.press("enter")  # an empty bar applied: every frame
        await settle(pilot, 5)
        assert app.applied_filter == "" and len(shown(app)) == len(app.session)
        assert "no filter: every frame shown" in str(app.filter_bar.status.render())


# --- 3. retransmission mismatch: compare view, differing bytes, frame links and Back -------------
async def _tree_line(app, pilot, name: str):
    tree = app.tree_pane
    tree.action_expand_all_layers()
    await settle(pilot)
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and getattr(node.data, "name", None) == name:
            return line
    raise AssertionError(f"no {name} in the tree")


async def test_mismatch_evidence_is_visible_and_frame_references_are_links():
    from tlstui.ui.screens import CompareScreen

    app = TlsTuiApp(S12A)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(35)
        await settle(pilot, 5)
        assert app.current_tree.number == 35
        tree = app.tree_pane
        tree.focus()
        # Expanding everything (e) with the findings' frame links in the tree (crashed once).
        await pilot.press("e")
        await settle(pilot)
        assert any(type(tree.get_node_at_line(i).data).__name__ == "FrameLink" for i in range(tree.last_line + 1))
        # "First differing byte": the hex pane marks the 16 differing bytes and scrolls to them.
        line = await _tree_line(app, pilot, "tlstui.tcp.retransmission_mismatch.first_diff_offset")
        tree.cursor_line = line
        await settle(pilot)
        payload = app.current_tree.fields("tcp.payload")[0].offset
        hexv = app.hex_pane.hex
        assert hexv.highlight == (payload + 121, 16)
        assert hexv.cursor == payload + 121
        row = (payload + 121) // hexv.bytes_per_row
        top = round(hexv.scroll_y)
        assert top <= row < top + hexv.scrollable_content_region.height
        # "Originally sent in frame 11": Enter follows it, Backspace comes back.
        line = await _tree_line(app, pilot, "tlstui.tcp.retransmission_mismatch.original_frame")
        tree.cursor_line = line
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, 5)
        assert app.frame_list.selected == 11 and app.current_tree.number == 11
        await pilot.press("backspace")
        await settle(pilot, 5)
        assert app.frame_list.selected == 35
        # Enter on the mismatch line opens the compare view: the differing bytes are marked.
        line = await _tree_line(app, pilot, "tlstui.tcp.retransmission_mismatch")
        tree.cursor_line = line
        await settle(pilot)
        await pilot.press("enter")
        screen = await wait_screen(app, pilot, CompareScreen)
        assert screen.cmp.diffs == tuple(range(121, 137))
        text = lines_text(app)
        assert "frame 11 (original)" in text[0] and "frame 35 (resend)" in text[0]
        marked = [l for l in text if "◀ differs" in l]
        assert [l[:6] for l in marked] == ["000070", "000080"]  # bytes 121-136, 16 a row at 160 columns
        view = screen.query_one(LinesView)
        bad = [seg for seg in view.render_line(view.found - round(view.scroll_y)) if seg.style and
               seg.style.reverse]
        assert bad  # the differing bytes are drawn reversed on the row the view opens at
        await pilot.press("o")
        await settle(pilot, 5)
        assert not isinstance(app.screen, CompareScreen) and app.frame_list.selected == 11


async def test_tcp_analysis_frame_fields_are_links_too(fake_findings):
    from tlstui.ui.tree_pane import frame_link

    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        # An ACK's "This is an ACK to the segment in frame: N" is a link.
        for n in range(2, len(app.session) + 1):
            acks = app.session.tree(n).fields("tcp.analysis.acks_frame")
            if acks:
                break
        assert acks and frame_link(acks[0]) == acks[0].value
        app.frame_list.select_frame(n)
        await settle(pilot, 5)
        app.tree_pane.focus()
        line = await _tree_line(app, pilot, "tcp.analysis.acks_frame")
        app.tree_pane.cursor_line = line
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, 5)
        assert app.frame_list.selected == acks[0].value
        await pilot.press("backspace")
        await settle(pilot, 5)
        assert app.frame_list.selected == n


# --- 8. the tree has a cursor when it gets focus ------------------------------------------------
async def test_tree_has_a_cursor_when_focused(fake_findings):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(5)
        await settle(pilot, 5)
        await pilot.press("tab")
        await settle(pilot)
        assert app.focused is app.tree_pane
        assert app.tree_pane.cursor_line == 0 and app.tree_pane.cursor_node is not None
        await pilot.press("shift+tab")
        app.frame_list.select_frame(6)
        await settle(pilot, 5)
        app.tree_pane.focus()
        await settle(pilot)
        assert app.tree_pane.cursor_line == 0


# --- 4. one message at a time, in the status line, never over the panes ------------------------
async def test_messages_take_the_status_line_one_at_a_time(fake_findings):
    from textual.widgets._toast import Toast

    from ui_helpers import FakeFinding

    fake_findings["findings"] = [FakeFinding(f"k{i}", "warning", f"finding number {i}", frames=[2 + 3 * i])
                                 for i in range(5)]
    app = TlsTuiApp(S07)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(app, pilot)
        app.frame_list.focus()
        for i in range(5):
            await pilot.press("n")
            await settle(pilot)
            status = str(app.query_one("#status").render())
            assert f"finding number {i}" in status and "Finding" in status
            assert f"finding number {i - 1}" not in status
            assert not app.screen.query(Toast)  # no toast over the hex pane or the findings
        assert app.frame_list.selected == 2 + 3 * 4
        # A message from a key that is not a finding replaces the last one.
        await pilot.press("c")  # nothing selected in the tree: says so
        await settle(pilot)
        assert "finding number" not in str(app.query_one("#status").render())
        # It goes away; the status comes back.
        app._message_expired()
        await settle(pilot)
        assert "frames" in str(app.query_one("#status").render())


# --- 6. small terminals: the footer keeps the main keys, hex is not clipped, summaries are read --
async def test_small_terminals_keep_main_keys_hex_and_summaries():
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    from tlstui.ui.hex_view import hex_width

    for size in ((80, 24), (100, 30), (160, 48)):
        app = TlsTuiApp(S04)
        async with app.run_test(size=size) as pilot:
            await ready(app, pilot)
            await settle(pilot, 5)
            keys = {k.description for k in app.screen.query_one(Footer).query(FooterKey)}
            assert {"Filter", "Findings", "Ladder", "Help", "Quit"} <= keys, (size, keys)
            footer_w = sum(k.outer_size.width for k in app.screen.query_one(Footer).query(FooterKey))
            assert footer_w <= size[0]
            hexv = app.hex_pane.hex
            assert hexv.scrollable_content_region.width >= hex_width(hexv.bytes_per_row), size
            table = app.findings_pane.table
            summary = app.findings[0].summary
            col = table.ordered_columns[2]
            assert str(col.label) == "Summary"
            assert col.get_render_width(table) >= min(len(summary), 40), size
            # ... and on screen: Severity and Frame leave the summary at least 30 cells at 80 columns.
            assert table.size.width - 8 - 5 - 6 >= 30, (size, table.size.width)
            status = app.query_one("#status")
            assert f"frame {app.frame_list.selected}" in str(status.render())
            assert "analysing" not in str(status.render())
            # Nothing in the status line is cut off: it fits its width.
            assert len(str(status.render())) <= status.content_region.width, size
            if size == (160, 48):
                assert app.tree_pane.size.height >= 19  # was 17: the details get 3/5 of the rows


# --- 7. Tab completion: a candidate list with descriptions that Tab and arrows move through ------
async def test_tab_completion_lists_candidates_with_descriptions_and_cycles(fake_findings):
    from tlstui.registry import REGISTRY
    from tlstui.ui.filter_bar import field_candidates

    app = TlsTuiApp(S07)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "tcp.flags.")
        names = field_candidates("tcp.flags.")
        assert len(names) > 3
        await pilot.press("tab")
        await settle(pilot)
        bar = app.filter_bar
        ol = bar.completions
        assert bar.completing and ol.display and ol.option_count == len(names)
        first = str(ol.get_option_at_index(0).prompt)
        assert names[0] in first and REGISTRY.get(names[0]).description in first
        assert ol.region.height > 2 and ol.region.y >= bar.region.bottom  # drawn under the bar
        await pilot.press("tab")
        await settle(pilot)
        assert bar.input.value == names[0] and ol.highlighted == 0
        await pilot.press("tab", "tab")
        await settle(pilot)
        assert bar.input.value == names[2] and ol.highlighted == 2
        await pilot.press("up")
        await settle(pilot)
        assert bar.input.value == names[1]
        await pilot.press("down", "down")
        await settle(pilot)
        assert bar.input.value == names[3]
        await pilot.press("shift+tab")
        await settle(pilot)
        assert bar.input.value == names[2]
        await pilot.press("enter")  # takes the candidate, does not apply yet
        await settle(pilot)
        assert not bar.completing and not ol.display and app.applied_filter == ""
        assert app.focused is bar.input
        await type_text(pilot, "==1")
        await pilot.press("enter")
        await wait_filter(app, pilot)
        assert app.applied_filter == names[2] + "==1"
        # Escape with the list open closes the list only.
        await pilot.press("slash")
        bar.set_text("tls.handshake.ext")
        await pilot.press("tab")
        await settle(pilot)
        assert bar.completing
        await pilot.press("escape")
        await settle(pilot)
        assert not bar.completing and app.focused is bar.input


# --- 9. the ladder: Enter selects the frame; times say what they are since; legend = colours -----
async def test_ladder_enter_selects_the_frame_and_the_legend_matches(fake_findings):
    from tlstui.ui.screens import LadderScreen

    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(18)
        app.frame_list.focus()
        await pilot.press("L")
        screen = await wait_screen(app, pilot, LadderScreen)
        title = screen.query_one("#title").render()
        first = screen.conv.frames[0]
        assert f"seconds since frame {first}, the stream's first frame" in str(title)
        assert "t+ (s)" in lines_text(app)[0]
        # The legend's samples carry the very styles the lines use.
        legend = {str(title)[sp.start:sp.end]: sp.style for sp in screen.title_text.spans}
        view = screen.query_one(LinesView)
        bad = next(i for i, s in enumerate(screen.steps) if s.bad)
        bad_line = view.lines[LadderScreen.HEAD_LINES + bad]
        assert any(sp.style == legend["✖ alert / reset"] for sp in bad_line.spans)
        c_line = view.lines[LadderScreen.HEAD_LINES]  # the SYN, client → server
        assert any(sp.style == legend["client → server"] for sp in c_line.spans)
        s_line = view.lines[LadderScreen.HEAD_LINES + 1]  # the SYN-ACK
        assert any(sp.style == legend["server → client"] for sp in s_line.spans)
        assert legend["client → server"] != legend["✖ alert / reset"]
        # Down twice, Enter: the third message's frame is selected in the main view.
        await pilot.press("down", "down")
        await settle(pilot)
        want = screen.steps[2].frame
        assert screen.selected_step().frame == want
        await pilot.press("enter")
        await settle(pilot, 5)
        assert not isinstance(app.screen, LadderScreen)
        assert app.frame_list.selected == want and app.current_tree.number == want
        await pilot.press("backspace")
        await settle(pilot, 5)
        assert app.frame_list.selected == 18


# --- 10. the palette lists each action once; decryption is visible --------------------------------
async def test_palette_lists_each_action_once(fake_findings):
    from collections import Counter

    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        cmds = list(app.get_system_commands(app.screen))
        titles = Counter(c.title for c in cmds)
        assert titles and max(titles.values()) == 1, titles
        for c in cmds:
            assert c.help != c.title
        assert titles["Ladder"] == 1 and titles["Theme"] == 1 and titles["Next theme"] == 1
        await pilot.press("ctrl+p")
        await settle(pilot, 10)
        lst = app.screen.query_one("CommandList")
        shown = [str(lst.get_option_at_index(i).prompt).split("\n")[0] for i in range(lst.option_count)]
        assert len(shown) == len(set(shown)) == len(cmds)


async def test_decryption_is_visible_with_key_log_and_count():
    pcap, keys = demo_paths()
    app = TlsTuiApp(pcap, keys)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot, timeout=60)
        d = app.decryption
        assert d is not None and d.decrypted > 0 and d.connections >= d.decrypted
        status = str(app.query_one("#status").render())
        assert f"decrypted {d.decrypted}/{d.connections} (demo.keys)" in status
        await pilot.press("K")
        await settle(pilot)
        status = str(app.query_one("#status").render())
        assert "Decryption on: key log" in status and "demo.keys" in status
    app = TlsTuiApp(S07)  # no key log: no sign, and K says why
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        status = str(app.query_one("#status").render())
        assert app.decryption is None and "decrypted" not in status and "analysing" not in status
        await pilot.press("K")
        await settle(pilot)
        assert "Decryption is off" in str(app.query_one("#status").render())


async def test_a_screen_on_top_shows_one_toast_and_none_of_the_main_screens(fake_findings):
    from textual.widgets._toast import Toast

    app = TlsTuiApp(S04)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(4)
        for _ in range(3):
            await pilot.press("c")  # "select a field first", on the main screen
        await settle(pilot)
        await pilot.press("t")
        screen = await wait_screen(app, pilot, FollowScreen)
        await settle(pilot, 5)
        assert not screen.query(Toast)  # the main screen's messages do not follow it there
        for i in range(3):
            app.notify(f"message {i}", markup=False)
        await settle(pilot, 5)
        toasts = list(screen.query(Toast))
        assert len(toasts) == 1 and "message 2" in str(toasts[0].render())
        app.notify("message 3", markup=False)
        await settle(pilot, 5)
        toasts = list(screen.query(Toast))
        assert len(toasts) == 1 and "message 3" in str(toasts[0].render())


# --- mouse: a row, a tree node, a hex byte, a finding; the wheel -----------------------------------
async def test_mouse_clicks_rows_nodes_bytes_findings_and_wheels():
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        fl = app.frame_list
        # A row: the third row of the list is frame 3.
        await pilot.click(fl, offset=(10, 2))
        await settle(pilot, 5)
        assert fl.selected == 3 and app.current_tree.number == 3
        # The wheel scrolls the list.
        before = fl.scroll_y
        from textual.events import MouseScrollDown

        assert fl.max_scroll_y > 0
        await pilot._post_mouse_events([MouseScrollDown], fl, offset=(10, 5), times=3)
        await settle(pilot, 5)
        assert fl.scroll_y > before
        # A tree node: the third layer line (IP) gets the cursor; its bytes are marked in the hex.
        tree = app.tree_pane
        await pilot.click(tree, offset=(4, 2))
        await settle(pilot, 5)
        node = tree.cursor_node
        assert node is not None and node.data is not None and node.data.name == "ip"
        assert app.hex_pane.hex.highlight == (node.data.offset, node.data.length)
        # A hex byte: the first byte of row 1 (offset 16 or 8) selects its field in the tree.
        hexv = app.hex_pane.hex
        await pilot.click(hexv, offset=(hexv._offset_digits() + 2, 1))
        await settle(pilot, 5)
        assert hexv.cursor == hexv.bytes_per_row
        f = tree.selected_field
        assert f is not None and f.offset <= hexv.cursor < f.offset + max(1, f.length)
        # A finding: clicking its row selects its frame.
        from ui_helpers import FakeFinding  # noqa: F401 - real findings here

        table = app.findings_pane.table
        if len(app.findings) > 1:
            await pilot.click(table, offset=(3, 2))  # header is row 0: the second finding
            await settle(pilot, 5)
            f2 = app.findings[1]
            assert fl.selected in f2.frames


async def test_a_long_capture_name_leaves_frame_n_in_the_status_at_80_columns(fake_findings):
    app = TlsTuiApp(S04, display_name="ja4_chrome-cloudflare-quic-with-secrets-and-more.pcapng")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(7)
        await settle(pilot, 5)
        status = app.query_one("#status")
        text = str(status.render())
        assert "frame 7" in text and len(text) <= status.content_region.width
        assert text.startswith("ja4_chrome-cloudf") and "…" in text
