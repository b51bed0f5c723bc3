"""Bounded YAML reading for config and preset files: one-line errors that never echo content."""

from __future__ import annotations

from pathlib import Path

import yaml

from planner.errors import ConfigError

__all__ = ["MAX_YAML_BYTES", "MAX_YAML_NODES", "read_yaml"]

#: Largest config / preset file read (bytes); real ones are a few kB.
MAX_YAML_BYTES = 1_000_000

#: Most YAML nodes after alias expansion (stops "billion laughs" alias bombs).
MAX_YAML_NODES = 100_000


class BoundedLoader(yaml.SafeLoader):
    """A safe loader refusing documents whose alias-expanded size exceeds the limit."""

    def get_single_node(self):  # noqa: D102 - PyYAML hook
        node = super().get_single_node()
        if node is not None and expanded_size(node) > MAX_YAML_NODES:
            raise yaml.YAMLError(f"more than {MAX_YAML_NODES:,} values after expanding aliases")
        return node


def expanded_size(root: yaml.Node) -> int:
    """Return the number of nodes of ``root`` with every alias expanded (capped above the limit)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        kids = _children(node)
        if done:
            sizes[id(node)] = min(1 + sum(sizes.get(id(k), 1) for k in kids), MAX_YAML_NODES + 1)
        elif id(node) not in sizes:
            sizes[id(node)] = MAX_YAML_NODES + 1  # provisional: a cycle counts as too big
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def read_yaml(path: Path, what: str = "config file") -> object:
    """Return the data of the YAML file ``path``.

    Parameters
    ----------
    path : Path
        The file (UTF-8, a byte-order mark allowed).
    what : str
        What the file is, for the messages.

    Raises
    ------
    ConfigError
        One line naming the file (and the line at fault): too big, not UTF-8, not YAML,
        nested too deeply or an alias bomb. The file's content is never quoted.
    """
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ConfigError(
                f"{path}: {what} too big ({size:,} bytes; at most {MAX_YAML_BYTES:,})"
            )
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: {what} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read {what} ({exc.strerror or type(exc).__name__})"
        ) from None
    try:
        return yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - BoundedLoader is a SafeLoader
    except RecursionError:
        raise ConfigError(f"{path}: {what} nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None) if mark is not None else str(exc)
        problem = problem.splitlines()[0][:120] if problem else None
        detail = f" ({problem})" if problem else ""
        raise ConfigError(f"{path}:{where} not valid YAML{detail}") from None
