"""Strict YAML reading for every document trancheflow loads (specs, models).

PyYAML's ``safe_load`` keeps the *last* of two equal keys and recurses once
per nesting level. :func:`load_yaml` refuses a duplicate key (naming it and
its line) and a document nested deeper than :data:`MAX_DEPTH`, so neither a
typo nor a hostile file gets through silently or as a traceback.

Examples
--------
>>> load_yaml("deal: A\\ntranches: [1, 2]\\n", "x.yaml")
{'deal': 'A', 'tranches': [1, 2]}
>>> load_yaml("deal: A\\ndeal: B\\n", "x.yaml")
Traceback (most recent call last):
...
trancheflow.errors.YamlError: x.yaml line 2: duplicate key 'deal' (first on line 1)
"""

from __future__ import annotations

from typing import Any

import yaml

from trancheflow.errors import YamlError

__all__ = ["MAX_DEPTH", "load_yaml"]

#: Deepest nesting of mappings/lists accepted (a deal spec needs about 6).
MAX_DEPTH = 64


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    first = seen[key]
                    raise YamlError(
                        f"{self.name} line {line}: duplicate key {key!r} (first on line {first})"
                    )
            except TypeError:  # unhashable key: the base class reports it
                break
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _depth(node: yaml.Node) -> int:
    """Nesting depth of a composed node, iteratively (no recursion to overflow)."""
    best = 0
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        if d > MAX_DEPTH:
            return d
        if isinstance(n, yaml.SequenceNode):
            stack.extend((c, d + 1) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append((k, d + 1))
                stack.append((v, d + 1))
    return best


def _flow_depth(text: str) -> int:
    """Deepest ``[``/``{`` nesting in ``text``, quotes skipped (a cheap pre-check: the
    parser itself takes seconds to overflow on 100,000 nested lists)."""
    depth = best = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
            if best > MAX_DEPTH:
                return best
        elif ch in "]}":
            depth -= 1
    return best


def load_yaml(text: str, source: str) -> Any:
    """Parse ``text`` (named ``source`` in errors) strictly.

    Raises
    ------
    YamlError
        Not valid YAML, a duplicate key, or nesting deeper than :data:`MAX_DEPTH`.
    """
    if _flow_depth(text) > MAX_DEPTH:
        raise YamlError(f"{source}: nested deeper than {MAX_DEPTH} levels; flatten it")
    loader = _StrictLoader(text)
    loader.name = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _depth(node) > MAX_DEPTH:
            raise YamlError(f"{source}: nested deeper than {MAX_DEPTH} levels; flatten it")
        return loader.construct_document(node)
    except RecursionError:
        raise YamlError(f"{source}: nested deeper than {MAX_DEPTH} levels; flatten it") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()
