"""Builds the compact form of an official schema (see `compact`) from xmlschema's compiled one.

Content models become automata by Glushkov's construction (one position per element
particle, with minOccurs/maxOccurs unrolled) and the subset construction; substitution
groups become one move per member. Whatever the compact check does not model exactly is
compiled to "not proven" (-1 or None), so a document that meets it goes to a full engine:
abstract elements and types, identity constraints, fixed element values, type alternatives
and assertions (XSD 1.1) beyond simple tests of attributes and children, xsd:all groups
beyond XSD 1.0's, facets other than those
`compact` checks, and built-in types it has no check for. Wildcards are kept as a flag on
the automaton's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .compact import ALL, BUILTINS, ELEMENTS, EMPTY, INTEGERS, MIXED, MIXED_ALL, SIMPLE, STRINGS

XSD = "{http://www.w3.org/2001/XMLSchema}"
_MAX_UNROLL = 100  # occurrence bounds above this are left to a full engine
_MAX_STATES = 5000


class _Unsupported(Exception):
    """A construct the compact check does not model."""


# A regular expression over positions: ("leaf", position) | ("seq", [..]) | ("choice", [..])
# | ("opt", node) | ("star", node) | ("plus", node)
Node = tuple[str, Any]


def build(schema: Any) -> dict[str, Any]:
    """The compact form of an xmlschema schema (XSD 1.0 or 1.1)."""
    builder = _Builder(schema)
    roots = {name: builder.decl(el) for name, el in schema.maps.elements.items()}
    builder.finish()
    return {
        "roots": roots,
        "decls": builder.decls,
        "types": builder.types,
        "simple": builder.simple,
        "ids": sorted(i for i in range(len(builder.simple)) if builder.reaches_id(i)),
    }


class _Builder:
    def __init__(self, schema: Any) -> None:
        from xmlschema.validators import (
            XsdAnyElement,
            XsdAtomicBuiltin,
            XsdAtomicRestriction,
            XsdElement,
            XsdGroup,
            XsdList,
            XsdUnion,
        )

        self.cls = {
            "any": XsdAnyElement,
            "builtin": XsdAtomicBuiltin,
            "restriction": XsdAtomicRestriction,
            "element": XsdElement,
            "group": XsdGroup,
            "list": XsdList,
            "union": XsdUnion,
        }
        self.substitutes: dict[str, Any] = schema.maps.substitution_groups
        self.decls: list[int] = []
        self.decl_type: list[int] = []  # id() of each declaration's xmlschema type
        self.types: list[Any] = []
        self.simple: list[Any] = []
        self._decl_index: dict[int, int] = {}
        self._type_index: dict[int, int] = {}
        self._simple_index: dict[int, int] = {}
        self._pending: list[tuple[int, Any]] = []
        self._assert_ns = ""
        self._assert_prefixes: dict[str, str] = {}
        self._tables: dict[tuple[Any, ...], dict[str, tuple[int, int]]] = {}

    # -- declarations and complex types

    def decl(self, el: Any) -> int:
        found = self._decl_index.get(id(el))
        if found is not None:
            return found
        index = self._decl_index[id(el)] = len(self.decls)
        self.decls.append(-1)
        self.decl_type.append(id(el.type))
        if not (
            el.abstract
            or el.identities
            or el.fixed is not None
            or getattr(el, "alternatives", None)
        ):
            self.decls[index] = self.complex(el.type)
        return index

    def complex(self, t: Any) -> int:
        found = self._type_index.get(id(t))
        if found is not None:
            return found
        index = self._type_index[id(t)] = len(self.types)
        self.types.append(None)
        self._pending.append((index, t))  # built by finish(): types nest too deep to recurse
        return index

    def finish(self) -> None:
        while self._pending:
            index, t = self._pending.pop()
            try:
                self.types[index] = self._complex(t)
            except _Unsupported:
                self.types[index] = None

    def _complex(self, t: Any) -> tuple[Any, ...]:
        if t.is_simple():
            simple = self.simple_type(t)
            if self.reaches_id(simple):
                raise _Unsupported("an element of an ID type")
            return (SIMPLE, {}, [], simple, [], ())
        spec = self._content(t)
        tests = tuple(self.assertion(a, spec[1]) for a in getattr(t, "assertions", ()))
        return (*spec, tests)

    def _content(self, t: Any) -> tuple[Any, ...]:
        if t.abstract:
            raise _Unsupported("an abstract type")
        open_content = getattr(t, "open_content", None)
        if open_content is not None and getattr(open_content, "mode", "none") != "none":
            raise _Unsupported("open content")
        attributes: dict[str, Any] = {}
        required: list[str] = []
        for name, attr in t.attributes.items():
            if name is None or not hasattr(attr, "use") or attr.use == "prohibited":
                continue  # a wildcard: an attribute it alone allows is not proven
            attributes[name] = (self.simple_type(attr.type), attr.fixed)
            if attr.use == "required":
                required.append(name)
        if t.has_simple_content():
            simple = self.simple_type(t.content)
            if self.reaches_id(simple):
                raise _Unsupported("an element of an ID type")
            return (SIMPLE, attributes, required, simple, [])
        if t.is_empty() and not t.mixed:
            return (EMPTY, attributes, required, -1, [])
        group = t.content
        while group.model == "sequence" and len(group) == 1 and tuple(group.occurs) == (1, 1):
            if not isinstance(group[0], self.cls["group"]):
                break
            group = group[0]  # an extension's wrapper around its base's content
        if group.model == "all":
            return (ALL if not t.mixed else MIXED_ALL, attributes, required, -1, self.all(group))
        states = self.automaton(t.content)
        if not t.mixed and states == [(True, {}, False)]:
            # a content model without a single element: libxml2 calls the content type
            # empty and refuses even whitespace in it
            return (EMPTY, attributes, required, -1, [])
        return (MIXED if t.mixed else ELEMENTS, attributes, required, -1, states)

    # -- XSD 1.1 assertions

    def assertion(self, a: Any, attributes: dict[str, Any]) -> tuple[Any, ...]:
        """An assertion's test as a small expression `compact` evaluates, where it is made
        only of what that evaluation does exactly: or, and, not(), exists() and empty() of an
        attribute or of children by name, and an attribute of a string type compared (= or
        !=) with string literals. Anything else in it leaves the type to a full engine."""
        import elementpath

        parser = elementpath.XPath2Parser(
            namespaces=dict(a.schema.namespaces),
            strict=False,
            default_namespace=a.xpath_default_namespace,
        )
        self._assert_ns = a.xpath_default_namespace or ""
        self._assert_prefixes = dict(a.schema.namespaces)
        try:
            token = parser.parse(a.path)
        except Exception as exc:  # elementpath's errors: not ours to judge
            raise _Unsupported(f"assertion {a.path!r}: {exc}") from None
        return self._test(token, attributes)

    def _test(self, token: Any, attributes: dict[str, Any]) -> tuple[Any, ...]:
        symbol = token.symbol
        if symbol in ("or", "and"):
            return (symbol, self._test(token[0], attributes), self._test(token[1], attributes))
        if symbol == "not":
            return ("not", self._test(token[0], attributes))
        if symbol in ("exists", "empty"):
            return (symbol, self._step(token[0]))
        if symbol == "(" and len(token) == 1:
            return self._test(token[0], attributes)
        if symbol in ("=", "!="):
            left, right = token[0], token[1]
            if left.symbol != "@":
                left, right = right, left  # general comparisons are symmetric
            step = self._step(left)
            if step[0] != "@":
                raise _Unsupported("a comparison of other than an attribute")
            declared = attributes.get(step[1])
            if declared is not None and not self._string_typed(declared[0]):
                raise _Unsupported("a comparison of an attribute that is not a string")
            return ("cmp", symbol, step[1], tuple(self._literals(right)))
        raise _Unsupported(f"{symbol!r} in an assertion")

    def _step(self, token: Any) -> tuple[Any, ...]:
        """An attribute ("@", key) or children ("child", namespace or None for any, name)."""
        if token.symbol == "@":
            name = self._name(token[0])
            if name[0] is None or name[1] is None:
                raise _Unsupported("an attribute wildcard in an assertion")
            return ("@", f"{{{name[0]}}}{name[1]}" if name[0] else name[1])
        namespace, local = self._name(token, self._assert_ns)
        if local is None:
            raise _Unsupported("a name wildcard in an assertion")
        return ("child", namespace, local)

    def _name(self, token: Any, default: str = "") -> tuple[str | None, str | None]:
        if token.symbol == "(name)":
            return default, token.value
        if token.symbol == ":" and len(token) == 2:
            prefix, local = token[0], token[1]
            if local.symbol != "(name)":
                raise _Unsupported("a name in an assertion")
            if prefix.symbol == "*":
                return None, local.value
            if prefix.symbol == "(name)" and prefix.value in self._assert_prefixes:
                return self._assert_prefixes[prefix.value], local.value
        raise _Unsupported(f"the step {token.symbol!r} in an assertion")

    def _literals(self, token: Any) -> list[str]:
        if token.symbol == "(string)":
            return [token.value]
        if token.symbol == "(" and len(token) == 1:
            return self._literals(token[0])
        if token.symbol == ",":
            return self._literals(token[0]) + self._literals(token[1])
        raise _Unsupported("a comparison with other than string literals")

    def _string_typed(self, index: int) -> bool:
        spec = self.simple[index]
        while spec is not None and spec[0] == "r":
            spec = self.simple[spec[1]]
        return spec is not None and spec[0] == "b" and spec[1] in _STRING_DERIVED

    def all(self, group: Any) -> tuple[Any, ...]:
        """An xsd:all group as (child name -> (member, declaration), required members,
        emptiable): each member at most once, in any order."""
        members: dict[str, tuple[int, int]] = {}
        needed: list[int] = []
        for i, p in enumerate(group):
            if not isinstance(p, self.cls["element"]) or (p.max_occurs or 2) > 1:
                raise _Unsupported("an xsd:all member other than one optional element")
            for name, decl in self.labels(p).items():
                members[name] = (i, decl)
            if p.min_occurs:
                needed.append(i)
        return (members, needed, group.min_occurs == 0)

    # -- content models

    def automaton(self, group: Any) -> list[Any]:
        positions: list[dict[str, int] | None] = []  # child name -> declaration; None: a wildcard
        root = self.particle(group, positions)
        follow: dict[int, set[int]] = {i: set() for i in range(len(positions))}
        nullable, first, last = _glushkov(root, follow)
        follow[-1] = first
        start = frozenset({-1})
        numbers = {start: 0}
        queue = [start]
        states: list[Any] = []
        while queue:
            current = queue.pop(0)
            candidates = set().union(*(follow[p] for p in current))
            wildcard = any(positions[c] is None for c in candidates)
            targets: dict[str, set[int]] = {}
            decl_of: dict[str, int] = {}
            for c in candidates:
                labels = positions[c]
                for name, decl in (labels or {}).items():
                    targets.setdefault(name, set()).add(c)
                    if decl_of.setdefault(name, decl) != decl and (
                        self.decl_type[decl_of[name]] != self.decl_type[decl]
                    ):
                        raise _Unsupported("one name, two types in one content model")
            moves: dict[str, tuple[int, int]] = {}
            for name, target in sorted(targets.items()):
                key = frozenset(target)
                if key not in numbers:
                    if len(numbers) >= _MAX_STATES:
                        raise _Unsupported("too many states")
                    numbers[key] = len(numbers)
                    queue.append(key)
                moves[name] = (numbers[key], decl_of[name])
            accepting = bool(current & last) or (current == start and nullable)
            states.append((accepting, moves, wildcard))
        return self.shared(_minimal(states))

    def shared(self, states: list[Any]) -> list[Any]:
        """The same states, each equal move table one object (marshal then stores it once:
        mixed content allows the same ~100 children in many types)."""
        out = []
        for accepting, moves, wildcard in states:
            key = tuple(sorted(moves.items()))
            table = self._tables.setdefault(key, moves)
            out.append((accepting, table, wildcard))
        return out

    def particle(self, p: Any, positions: list[dict[str, int] | None]) -> Node:
        cls = self.cls
        make: Callable[[], Node]
        if isinstance(p, cls["any"]):

            def make() -> Node:
                positions.append(None)
                return ("leaf", len(positions) - 1)

        elif isinstance(p, cls["element"]):
            labels = self.labels(p)

            def make() -> Node:
                positions.append(labels)
                return ("leaf", len(positions) - 1)

        elif isinstance(p, cls["group"]):
            if p.model not in ("sequence", "choice"):
                raise _Unsupported(f"an xsd:{p.model} group")
            children = list(p)
            kind = "choice" if p.model == "choice" else "seq"

            def make() -> Node:
                return (kind, [self.particle(c, positions) for c in children])

        else:
            raise _Unsupported(f"a particle {type(p).__name__}")
        return _repeat(make, p.min_occurs, p.max_occurs)

    def labels(self, p: Any) -> dict[str, int]:
        """The child names a particle accepts, each with the declaration it is checked by:
        the element itself, and the members of its substitution group (unless blocked)."""
        el = p.ref if getattr(p, "ref", None) is not None else p
        labels: dict[str, int] = {}
        if not el.abstract:
            labels[el.name] = self.decl(el)
        if el.name in self.substitutes and not el.block and not getattr(el.type, "block", None):
            pending = list(self.substitutes[el.name])
            seen: set[int] = set()
            while pending:
                member = pending.pop()
                if id(member) in seen:
                    continue
                seen.add(id(member))
                if not member.abstract:
                    labels.setdefault(member.name, self.decl(member))
                if member.block:
                    continue
                pending.extend(self.substitutes.get(member.name, ()))
        return labels

    # -- simple types

    def simple_type(self, t: Any) -> int:
        found = self._simple_index.get(id(t))
        if found is not None:
            return found
        index = self._simple_index[id(t)] = len(self.simple)
        self.simple.append(None)
        try:
            self.simple[index] = self._simple(t)
        except _Unsupported:
            self.simple[index] = None
        return index

    def _simple(self, t: Any) -> tuple[Any, ...]:
        cls = self.cls
        if isinstance(t, cls["builtin"]):
            if t.local_name not in BUILTINS:
                raise _Unsupported(f"xs:{t.local_name}")
            return ("b", t.local_name)
        if isinstance(t, cls["list"]):
            item = self.simple_type(t.item_type)
            if self.reaches_id(item):
                raise _Unsupported("a list of IDs")
            return ("l", item)
        if isinstance(t, cls["union"]):
            members = [self.simple_type(m) for m in t.member_types]
            if any(self.reaches_id(m) for m in members):
                raise _Unsupported("a union with an ID member")
            return ("u", members)
        if not isinstance(t, cls["restriction"]):
            raise _Unsupported(type(t).__name__)
        base = self.simple_type(t.base_type)
        patterns: list[list[str]] = []
        enumeration: frozenset[str] | None = None
        low: int | None = None
        high: int | None = None
        bounds: list[int | None] = [None, None]
        digits: list[int | None] = [None, None]
        for key, facet in (t.facets or {}).items():
            if key == XSD + "whiteSpace":
                continue  # t.white_space below
            if key == XSD + "pattern":
                patterns.append([p.pattern for p in facet.patterns])
            elif key == XSD + "enumeration":
                if not all(isinstance(v, str) for v in facet.enumeration):
                    raise _Unsupported("an enumeration of non-string values")
                enumeration = frozenset(facet.enumeration)
            elif key in (XSD + "length", XSD + "minLength"):
                low = facet.value
                high = facet.value if key == XSD + "length" else high
            elif key == XSD + "maxLength":
                high = facet.value
            elif key in (XSD + "totalDigits", XSD + "fractionDigits"):
                digits[key == XSD + "fractionDigits"] = facet.value
            elif key in _BOUNDS:
                if not self._integer_based(base):
                    raise _Unsupported("a bound on a non-integer type")
                side, shift = _BOUNDS[key]
                bounds[side] = int(facet.value) + shift
            else:
                raise _Unsupported(f"facet {key}")
        lengths = (low, high) if (low, high) != (None, None) else ()
        bound = tuple(bounds) if bounds != [None, None] else ()
        digit = tuple(digits) if digits != [None, None] else ()
        return ("r", base, t.white_space, patterns, enumeration, lengths, bound, digit)

    def _integer_based(self, index: int) -> bool:
        spec = self.simple[index]
        while spec is not None and spec[0] == "r":
            spec = self.simple[spec[1]]
        return spec is not None and spec[0] == "b" and spec[1] in INTEGERS

    def reaches_id(self, index: int) -> bool:
        spec = self.simple[index] if index >= 0 else None
        while spec is not None and spec[0] == "r":
            spec = self.simple[spec[1]]
        return spec is not None and spec[0] == "b" and spec[1] == "ID"


# xs:string and the built-in types derived from it: their typed values compare as strings
_STRING_DERIVED = STRINGS | {"language", "NMTOKEN", "Name", "NCName", "ID", "IDREF"}
_BOUNDS = {
    XSD + "minInclusive": (0, 0),
    XSD + "minExclusive": (0, 1),
    XSD + "maxInclusive": (1, 0),
    XSD + "maxExclusive": (1, -1),
}


def _repeat(make: Callable[[], Node], low: int, high: int | None) -> Node:
    """A particle's occurrences, unrolled: `low` copies, then optional ones up to `high`
    (or one-or-more / zero-or-more when unbounded)."""
    if high is not None and high < low:
        raise _Unsupported("maxOccurs below minOccurs")
    if low > _MAX_UNROLL or (high or 0) > _MAX_UNROLL:
        raise _Unsupported("occurrence bounds too large to unroll")
    items: list[Node] = []
    if high is None:
        items.extend(make() for _ in range(max(low - 1, 0)))
        items.append(("plus" if low else "star", make()))
    else:
        items.extend(make() for _ in range(low))
        items.extend(("opt", make()) for _ in range(high - low))  # the subset construction
        # makes the choice of which copy deterministic
    return items[0] if len(items) == 1 else ("seq", items)


def _minimal(states: list[Any]) -> list[Any]:
    """The minimal automaton equal to `states` (Moore's partition refinement; state 0 stays
    the start): a repeated choice otherwise has one state per alternative, all alike."""
    block = [
        (accepting, wildcard, tuple(sorted((n, d) for n, (_, d) in moves.items())))
        for accepting, moves, wildcard in states
    ]
    while True:
        numbers: dict[Any, int] = {}
        ids = [numbers.setdefault(b, len(numbers)) for b in block]
        refined = [
            (ids[i], tuple(sorted((n, ids[t]) for n, (t, _) in moves.items())))
            for i, (_, moves, _) in enumerate(states)
        ]
        again: dict[Any, int] = {}
        new_ids = [again.setdefault(r, len(again)) for r in refined]
        if len(again) == len(numbers):
            break
        block = refined  # type: ignore[assignment]
    # renumber so that the start state's block is 0, in order of first appearance
    order: dict[int, int] = {}
    for i in new_ids:
        order.setdefault(i, len(order))
    out: list[Any] = [None] * len(order)
    for i, (accepting, moves, wildcard) in enumerate(states):
        j = order[new_ids[i]]
        if out[j] is None:
            out[j] = (
                accepting,
                {n: (order[new_ids[t]], d) for n, (t, d) in moves.items()},
                wildcard,
            )
    return out


def _glushkov(node: Node, follow: dict[int, set[int]]) -> tuple[bool, set[int], set[int]]:
    """(nullable, first positions, last positions) of `node`, filling `follow`."""
    kind, body = node
    if kind == "leaf":
        return False, {body}, {body}
    if kind == "seq":
        nullable = True
        first: set[int] = set()
        last: set[int] = set()
        for child in body:
            n, f, la = _glushkov(child, follow)
            for p in last:
                follow[p] |= f
            if nullable:
                first |= f
            last = (last | la) if n else la
            nullable = nullable and n
        return nullable, first, last
    if kind == "choice":
        parts = [_glushkov(child, follow) for child in body]
        return (
            any(n for n, _, _ in parts),
            set().union(*(f for _, f, _ in parts)),
            set().union(*(la for _, _, la in parts)),
        )
    n, f, la = _glushkov(body, follow)
    if kind in ("star", "plus"):
        for p in la:
            follow[p] |= f
    return (n if kind == "plus" else True), f, la
