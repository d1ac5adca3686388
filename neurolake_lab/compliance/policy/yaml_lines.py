"""YAML to plain Python values, remembering the line of every value (for error messages).

PyYAML's composer keeps each node's position; the constructors throw it away. So the document is
composed, then turned into dicts, lists and scalars here by hand, recording for each JSON path the
1-based line of its value (and of its key). Duplicate keys, which PyYAML silently collapses, are an
error: in a policy the second rule would win unseen.
"""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped]

#: A JSON path: mapping keys and sequence indices from the document root.
Path = tuple[str | int, ...]


class YamlProblem(Exception):
    """The text is not YAML we accept; ``line`` is 1-based (``None`` if unknown)."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class Located:
    """A parsed document and where each of its values sits in the text."""

    def __init__(self, data: Any, lines: dict[Path, int], key_lines: dict[Path, int]) -> None:
        self.data = data
        self._lines = lines
        self._key_lines = key_lines

    def line(self, path: Path) -> int | None:
        """Line of the key of ``path`` (else of its value), else of the nearest enclosing one."""
        if path in self._key_lines:
            return self._key_lines[path]
        if path in self._lines:
            return self._lines[path]
        while path:
            path = path[:-1]
            found = self._key_lines.get(path, self._lines.get(path))
            if found is not None:
                return found
        return self._lines.get((), None)


def load(text: str) -> Located:
    """Parse one YAML document (safe tags only) with the line of every value.

    Raises:
        YamlProblem: Syntax errors, several documents, unsupported tags, duplicate keys.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise YamlProblem(mark.line + 1 if mark else None, f"invalid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"invalid YAML: {exc}") from None
    lines: dict[Path, int] = {}
    key_lines: dict[Path, int] = {}
    if node is None:
        return Located(None, lines, key_lines)
    constructor = yaml.SafeLoader("")
    data = _convert(node, (), lines, key_lines, constructor)
    return Located(data, lines, key_lines)


def _convert(
    node: Any,
    path: Path,
    lines: dict[Path, int],
    key_lines: dict[Path, int],
    constructor: Any,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)  # merge keys (<<: *anchor)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, constructor)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise YamlProblem(key_node.start_mark.line + 1, "mapping keys must be scalars")
            name = str(key)
            if name in out:
                raise YamlProblem(key_node.start_mark.line + 1, f"duplicate key {name!r}")
            key_lines[(*path, name)] = key_node.start_mark.line + 1
            out[name] = _convert(value_node, (*path, name), lines, key_lines, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(child, (*path, i), lines, key_lines, constructor)
            for i, child in enumerate(node.value)
        ]
    return _scalar(node, constructor)


def _scalar(node: Any, constructor: Any) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlProblem(node.start_mark.line + 1, "mapping keys must be scalars")
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise YamlProblem(node.start_mark.line + 1, f"invalid YAML: {exc.problem}") from None
