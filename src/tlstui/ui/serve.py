"""`tlstui serve FILE`: the same app in a browser, through textual-serve.

textual-serve is a small aiohttp server: its page runs xterm.js, and each browser tab that connects
starts one `tlstui FILE` process whose screen travels over a websocket (Textual's web driver).  So
the served app is exactly the terminal app; this module only builds that command line and the server.

Loopback by default: anyone who can reach the port can read the capture (and the key log's secrets),
so listening elsewhere is an explicit `--host`.
"""
from __future__ import annotations

import os
import re
import shlex
import sys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def app_command(path: str, keylog: str | None = None, theme: str | None = None,
                ca_file: str | None = None) -> str:
    """The shell command textual-serve runs per browser session: this interpreter, this tlstui.

    Paths are made absolute so the child does not depend on the server's working directory staying
    put, and quoted because textual-serve runs the command through a shell.
    """
    argv = [sys.executable, "-m", "tlstui", os.path.abspath(path)]
    if keylog:
        argv += ["--keylog", os.path.abspath(keylog)]
    if theme:
        argv += ["--theme", theme]
    if ca_file:
        argv += ["--ca-file", os.path.abspath(ca_file)]
    return shlex.join(argv)


def public_url(host: str, port: int) -> str:
    """The address the page gives the browser for its websocket.

    textual-serve builds it from the listening host, which for a wildcard address (0.0.0.0, ::)
    is no address a browser can connect to: then the machine's name is used.
    """
    if host in ("0.0.0.0", "::", ""):
        import socket

        host = socket.gethostname()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


# textual-serve's page asks fonts.googleapis.com for Roboto Mono, the font it ships in its own
# static/fonts: served from there instead, the page makes no request outside this server (a browser
# on a machine without internet, or one that should not tell Google what it opens).
_GOOGLE_FONT = re.compile(r'<link[^>]*fonts\.googleapis\.com[^>]*>', re.S)
_FONT_FACE = ("<style>@font-face {{ font-family: 'Roboto Mono'; font-style: normal; font-weight: 100 700; "
              "src: url('{url}') format('truetype'); }}</style>")
_FONT_FILE = "fonts/RobotoMono-VariableFont_wght.ttf"


def _server_class():
    from aiohttp import web
    from textual_serve.server import Server

    class LocalServer(Server):
        """textual-serve's server with a page that loads nothing from elsewhere."""

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            response = await super().handle_index(request)
            if isinstance(response, web.Response) and response.text:
                font = f"{self.public_url}{request.app.router['static'].url_for(filename=_FONT_FILE)}"
                response.text = _GOOGLE_FONT.sub(lambda m: _FONT_FACE.format(url=font), response.text)
            return response

    return LocalServer


def serve(path: str, keylog: str | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          theme: str | None = None, ca_file: str | None = None, url: str | None = None) -> int:
    """Serve the app for ``path`` until interrupted (Ctrl+C or SIGTERM); the exit status."""
    server = _server_class()(app_command(path, keylog, theme, ca_file), host=host, port=port,
                    title=f"tlstui {os.path.basename(path)}", public_url=url or public_url(host, port))
    server.serve()
    return 0
