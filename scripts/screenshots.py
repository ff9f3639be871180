"""Regenerate screenshots/*.svg from the bundled demo capture (Textual's Pilot, no terminal).

    python scripts/screenshots.py [--out screenshots] [--png]

--png also converts each SVG with rsvg-convert when it is installed (for looking at them).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def wait_analysis(app, pilot) -> None:
    for _ in range(400):
        await pilot.pause(0.05)
        if app.analysis_done.is_set() and app.session is not None and getattr(app, "_findings_in", True):
            break
    await pilot.pause(0.3)


async def wait_screen(app, pilot, cls, filled=lambda s: True) -> None:
    for _ in range(200):
        await pilot.pause(0.05)
        if isinstance(app.screen, cls) and filled(app.screen):
            break
    else:
        raise SystemExit(f"{cls.__name__} did not open (frame {app.frame_list.selected} selected)")
    await pilot.pause(0.3)


async def shoot(out: Path, size: tuple[int, int], theme: str) -> list[Path]:
    from tlstui.ui.app import TlsTuiApp, demo_paths

    path, keys = demo_paths()
    app = TlsTuiApp(path, keys, display_name="demo.pcapng (bundled demo)", theme_name=theme)
    made: list[Path] = []

    def save(name: str) -> None:
        p = out / f"{name}.svg"
        app.save_screenshot(filename=p.name, path=str(out))
        made.append(p)

    async with app.run_test(size=size) as pilot:
        await wait_analysis(app, pilot)
        suffix = "" if theme == "tlstui-dark" else "-light"
        # The close_notify -> keep-alive reuse -> RST diagnosis: jump through findings to it.
        target = next((f for f in app.findings if f.kind == "tls.reuse_after_close_notify"), None)
        if target is not None:
            app._go_to_finding(target, target.frames[0])
        else:
            app.frame_list.select_frame(41 if len(app.session) >= 41 else 1)
        await pilot.pause(0.3)
        app.tree_pane.focus()
        await pilot.press("G" if False else "end")
        await pilot.pause(0.2)
        app.clear_notifications()
        await pilot.pause(0.1)
        save(f"main{suffix}")
        if suffix:
            return made
        # A TLS frame with the handshake expanded and a field's bytes highlighted.
        app.frame_list.select_frame(6)
        app.frame_list.focus()
        await pilot.pause(0.3)
        tree = app.tree_pane
        tls = next((n for n in tree.root.children if n.data is not None and n.data.name == "tls"), None)
        if tls is not None:
            tls.expand()
            await pilot.pause(0.1)
            rec = tls.children[0] if tls.children else None
            if rec is not None:
                rec.expand()
                await pilot.pause(0.1)
                tree.focus()
                tree.move_cursor(rec.children[-1] if rec.children else rec, animate=False)
        await pilot.pause(0.3)
        save("tree-and-bytes")
        # A filter being typed with an error.
        app.frame_list.focus()
        await pilot.press("slash")
        for ch in "tls.alert_message.desc == 40 and ip.src == 10.1":
            await pilot.press(ch)
        await pilot.pause(0.2)
        save("filter-error")
        await pilot.press("escape")
        await pilot.pause(0.1)
        app.apply_filter_text("tls.alert_message or tcp.flags.reset == 1")
        await pilot.pause(0.5)
        app.clear_notifications()
        save("filter-applied")
        app.apply_filter_text("")  # cleared explicitly: Escape in the bar keeps an applied filter
        await pilot.pause(0.3)
        # The handshake ladder and the follow screens of the reused connection (stream 2).
        app.frame_list.select_frame(target.frames[0] if target is not None else 40)
        app.frame_list.focus()
        await pilot.pause(0.2)
        await pilot.press("L")
        await pilot.pause(0.6)
        save("ladder")
        await pilot.press("escape")
        await pilot.press("T")
        await pilot.pause(0.6)
        save("follow-tls")
        await pilot.press("escape")
        await pilot.press("t")
        await pilot.pause(0.6)
        save("follow-tcp")
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        save("help")
        await pilot.press("escape")
        await pilot.pause(0.2)
        # The connections view: one row per TLS/DTLS connection, coloured by how it ended.
        from tlstui.ui.connections_view import ConnectionsScreen

        await pilot.press("z")
        await wait_screen(app, pilot, ConnectionsScreen, lambda s: s.table is not None)
        save("connections")
        while len(app.screen_stack) > 1:  # (Escape there first leaves its filter box)
            app.pop_screen()
        await pilot.pause(0.2)
        # The compare view of the resend whose bytes differ from the original (tcp.retransmission_mismatch).
        from tlstui.ui.screens import CompareScreen

        mismatch = next((f for f in app.findings if f.kind == "tcp.retransmission_mismatch"), None)
        if mismatch is not None:
            app._go_to_finding(mismatch, mismatch.frames[-1])
            app.frame_list.focus()
            for _ in range(200):  # the compare is read from the resend's tree: wait until it is shown
                await pilot.pause(0.05)
                if getattr(app.current_tree, "number", None) == mismatch.frames[-1]:
                    break
            await pilot.pause(0.2)
            app.action_compare()  # what v does
            await wait_screen(app, pilot, CompareScreen)
            app.clear_notifications()
            save("compare")
    return made


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "screenshots"))
    ap.add_argument("--size", default="160x48")
    ap.add_argument("--png", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    w, h = (int(x) for x in args.size.split("x"))
    # Screenshots must not depend on (or change) the user's settings and history.
    tmp = tempfile.mkdtemp(prefix="tlstui-shots-")
    os.environ["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
    os.environ["XDG_DATA_HOME"] = os.path.join(tmp, "data")
    os.environ["DISPLAY"] = ""
    os.environ["WAYLAND_DISPLAY"] = ""
    made = asyncio.run(shoot(out, (w, h), "tlstui-dark"))
    made += asyncio.run(shoot(out, (w, h), "tlstui-light"))
    for p in made:
        print(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p)
        if args.png and shutil.which("rsvg-convert"):
            subprocess.run(["rsvg-convert", "-o", str(p.with_suffix(".png")), str(p)], check=False)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
