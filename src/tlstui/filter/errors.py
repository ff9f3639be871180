"""The one exception the filter language raises: a message, and where in the text it applies."""
from __future__ import annotations



def _shown(text: str) -> str:
    """The filter as it is safe to print: one character per character, so the caret stays under
    the right spot, and no terminal control characters."""
    return "".join(c if c.isprintable() else " " if c == "\t" else "?" for c in text)


class FilterError(Exception):
    """A display filter that does not compile.

    ``column`` is a 0-based index into ``text``; ``length`` how many characters the mistake
    covers (at least 1 for the caret).  ``format()`` renders it the way tshark does: a line
    naming the problem and the column (1-based, as an editor counts), the filter, and a caret
    line under the bad spot.
    """

    def __init__(self, message: str, column: int = 0, length: int = 1, text: str = "") -> None:
        message = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256
                          else f"\\u{ord(c):04x}" for c in message)
        super().__init__(message)
        self.message = message
        self.column = max(0, column)
        self.length = max(1, length)
        self.text = text

    def __str__(self) -> str:
        return f"{self.message} (column {self.column + 1})"

    def caret_line(self) -> str:
        """Spaces then ``^~~~`` under the span, matching the filter line as printed."""
        col = min(self.column, len(self.text))
        length = max(1, min(self.length, max(1, len(self.text) - col)))
        return " " * col + "^" + "~" * (length - 1)

    def format(self) -> str:
        """Three lines: message with column, the filter indented, the caret under the bad spot."""
        shown = _shown(self.text)
        return f"{self}\n    {shown}\n    {self.caret_line()}"
