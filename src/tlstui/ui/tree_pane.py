"""The protocol tree of the selected frame: Textual's Tree over the frame's Fields."""
from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from dataclasses import dataclass

from ..field import Field
from ..registry import REGISTRY, FieldType
from ..safe_text import escape_text
from .colors import severity_style

# Fields that carry an expert note (Wireshark's "expert info"): drawn in the warning colour.
EXPERT_PREFIXES = ("_ws.expert", "_ws.malformed", "_ws.short", "tcp.analysis.", "tlstui.")
ERROR_NAMES = ("_ws.malformed", "tls.alert_message", "dtls.alert_message", "tcp.analysis.lost_segment",
               "tlstui.tcp.retransmission_mismatch", "tlstui.tls.incomplete_record")
LINK_STYLE = Style(underline=True)
SEVERITY_MARK = {"error": "✖", "warning": "▲", "note": "•"}
MISMATCH = "tlstui.tcp.retransmission_mismatch"


@dataclass(frozen=True)
class FrameLink:
    """A tree line that only points at a frame (a finding's frames)."""

    frame: int


def frame_link(data) -> int | None:
    """The frame a tree line refers to (Enter jumps there), or None."""
    if isinstance(data, FrameLink):
        return data.frame
    if isinstance(data, Field) and data.name and data.name != "frame.number" and isinstance(data.value, int) \
            and data.value > 0 and not isinstance(data.value, bool):
        spec = REGISTRY.get(data.name)
        if spec is not None and spec.ftype is FieldType.FRAMENUM:
            return data.value
    return None


def field_key(f: Field) -> str:
    """What identifies "the same subtree" from one frame to the next (to keep it expanded)."""
    return f.name or f.label.split(":", 1)[0]


def is_expert(f: Field) -> bool:
    return bool(f.name) and f.name.startswith(EXPERT_PREFIXES) and f.name not in (
        "tcp.analysis", "tcp.analysis.bytes_in_flight", "tcp.analysis.push_bytes_sent",
        "tcp.analysis.acks_frame", "tcp.analysis.ack_rtt", "tcp.analysis.initial_rtt")


class ProtoTree(Tree[Field]):
    """Layers of one frame; expert fields coloured; findings of the frame listed on top."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next field", show=False, id="tree.down"),
        Binding("k", "cursor_up", "Previous field", show=False, id="tree.up"),
        Binding("h", "collapse_or_parent", "Collapse / parent", show=False, id="tree.collapse"),
        Binding("l", "expand_node", "Expand", show=False, id="tree.expand"),
        Binding("e", "expand_all_layers", "Expand all", show=False, id="tree.expand_all"),
        Binding("E", "collapse_all_layers", "Collapse all", show=False, id="tree.collapse_all"),
    ]
    DEFAULT_CSS = """
    ProtoTree { background: $surface; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("frame", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self.expanded_keys: set[str] = set()
        self.nodes_by_field: dict[int, TreeNode[Field]] = {}
        self.frame_number = 0
        self._restoring = False
        self._unpopulated: dict = {}
        self._layers: list[Field] = []

    def show_frame(self, tree, findings: list = ()) -> None:
        """Fill the tree with one frame's layers, keeping expanded what was expanded."""
        self._restoring = True
        self.clear()
        self.nodes_by_field = {}
        self._unpopulated: dict = {}
        self._layers = list(tree.layers) if tree is not None else []
        self.frame_number = tree.number if tree is not None else 0
        if tree is None:
            self._restoring = False
            return
        if findings:
            head = self.root.add(Text(f"Findings for this frame ({len(findings)})", style=self._sev_style(
                findings[0].severity) + Style(bold=True)), data=None, expand=True)
            for f in findings:
                label = Text.assemble((f"{SEVERITY_MARK.get(f.severity, '•')} ", self._sev_style(f.severity)),
                                      escape_text(f.summary), (f"  [{escape_text(f.kind)}]", "dim"))
                others = [n for n in f.frames if n != tree.number][:50]
                if not others:
                    head.add_leaf(label, data=None)
                    continue
                node = head.add(label, data=None, expand=True)
                for n in others:
                    node.add_leaf(Text.assemble(("→ ", "dim"), (f"frame {n}", LINK_STYLE), ("  ⏎", "dim")),
                                  data=FrameLink(n))
        for layer in tree.layers:
            if not layer.hidden:
                self._add(self.root, layer, findings)
        self._restoring = False
        if self.has_focus:
            self.cursor_line = 0

    def _sev_style(self, severity: str) -> Style:
        return severity_style(self.app, severity)

    def _label(self, f: Field) -> Text:
        text = Text(escape_text(f.label or f.name))
        if frame_link(f) is not None:
            text.stylize(LINK_STYLE)
            text.append("  ⏎", "dim")
        elif f.name == MISMATCH:
            text.append("  (Enter: compare with the original)", "dim")
        if is_expert(f):
            red = f.name in ERROR_NAMES or f.name.startswith("_ws.malformed")
            style = severity_style(self.app, "error" if red else "warning", bold=red)
            text.stylize(style)
            text = Text.assemble(("✖ " if red else "▲ ", style), text)
        elif f.name in ERROR_NAMES:
            text.stylize(severity_style(self.app, "error", bold=True))
        return text

    def _add(self, parent: TreeNode[Field], f: Field, findings=()) -> None:
        """Add a field's node; its children are added when it is first expanded (a certificate
        has hundreds of fields, and most frames are looked at with every layer collapsed)."""
        visible = [c for c in f.children if not c.hidden]
        if not visible:
            node = parent.add_leaf(self._label(f), data=f)
        else:
            node = parent.add(self._label(f), data=f, allow_expand=True)
            self._unpopulated[node.id] = visible
            if field_key(f) in self.expanded_keys:
                self._populate(node)
                node.expand()
        self.nodes_by_field[id(f)] = node

    def _populate(self, node: TreeNode[Field]) -> None:
        children = self._unpopulated.pop(node.id, None)
        if children is not None:
            for c in children:
                self._add(node, c)

    def _node_for(self, f: Field) -> TreeNode[Field] | None:
        """The node of a field, creating the (collapsed) nodes on its path if needed."""
        node = self.nodes_by_field.get(id(f))
        if node is not None:
            return node
        path = self._path_to(f)
        if not path:
            return None
        for ancestor in path[:-1]:
            anode = self.nodes_by_field.get(id(ancestor))
            if anode is None:
                return None
            self._populate(anode)
        return self.nodes_by_field.get(id(f))

    def _path_to(self, target: Field) -> list[Field]:
        def walk(f: Field, path: list[Field]) -> list[Field] | None:
            path.append(f)
            if f is target:
                return path
            for c in f.children:
                if not c.hidden and walk(c, path) is not None:
                    return path
            path.pop()
            return None

        for layer in self._layers:
            found = walk(layer, [])
            if found:
                return found
        return []

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        self._populate(event.node)
        if not self._restoring and isinstance(event.node.data, Field):
            self.expanded_keys.add(field_key(event.node.data))

    @property
    def selected_field(self) -> Field | None:
        node = self.cursor_node
        return node.data if node is not None and isinstance(node.data, Field) else None

    def on_focus(self) -> None:
        # A cursor from the first moment the tree has focus (Textual's starts on no line).
        if self.cursor_line < 0 and self.root.children:
            self.cursor_line = 0

    def select_field(self, f: Field) -> bool:
        """Move the cursor to a field's node, expanding its ancestors."""
        node = self._node_for(f)
        if node is None:
            return False
        p = node.parent
        while p is not None and not p.is_root:
            p.expand()
            p = p.parent
        # Tree numbers its lines lazily; build them now so that the node has its line.
        self._tree_lines  # noqa: B018
        self.move_cursor(node, animate=False)
        return True

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and not node.parent.is_root:
            self.move_cursor(node.parent, animate=False)

    def action_expand_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_expand_all_layers(self) -> None:
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            self._populate(node)
            stack.extend(node.children)
        self.root.expand_all()

    def action_collapse_all_layers(self) -> None:
        for n in self.root.children:
            n.collapse_all()
        self.expanded_keys.clear()
