"""A compact compiled form of an official XSD, and the check that proves a document valid.

A cold validation's cost was importing xmlschema and loading its pickled schema (~0.4 s),
not validating. The compact form (built from xmlschema's compiled schema by
`compact_build`, stored beside its pickle with marshal) holds, per element declaration, its
type: the attributes it allows, each attribute's and text's simple type with every facet,
and its content model as a deterministic automaton over child names. Loading it takes
milliseconds and needs neither xmlschema nor elementpath.

The check only ever says "valid": it answers True when every element, attribute and value
of the document passed a construct it models exactly, and False ("not proven") at the first
thing that failed or that it does not model (wildcards, xsi:type, identity constraints,
non-ASCII names, a value type it does not know, ...). The caller then asks a full engine,
which finds and words the errors. So the official schema stays the judge: the compact form
is that schema compiled, never a hand-made subset, and a test holds its verdicts to
libxml2's on the corpus, the official examples and mutated files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import marshal
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

FORMAT = 2  # bump when the layout below or what compact_build puts in it changes: old files
# are then not read, and are built again

# Layout (plain data, so marshal loads it in milliseconds):
#   form["roots"]:   {element name: declaration index}  -- the global elements
#   form["decls"]:   [complex type index, or -1 where the check gives up]
#   form["types"]:   [(kind, attributes, required, simple, states, tests) or None]
#       kind: EMPTY, SIMPLE (text of type `simple`), ELEMENTS or MIXED (children by `states`),
#             ALL or MIXED_ALL (an xsd:all group: `states` is (members, required, emptiable),
#             members: {child name: (member number, declaration index)})
#       attributes: {attribute name: (simple type index, fixed value or None)}
#       required: names that must be present
#       states: [(accepting, {child name: (next state, declaration index)}, has_wildcard)]
#       tests: XSD 1.1 assertions, each an expression of ("or"|"and", a, b), ("not", a),
#             ("exists"|"empty", step), ("cmp", "="|"!=", attribute, literals); a step is
#             ("@", attribute) or ("child", namespace or None for any, local name)
#   form["simple"]:  [simple type spec or None]
#       ("b", builtin name)                       a built-in XSD type
#       ("l", item index)                         a list type
#       ("u", [member indexes])                   a union type
#       ("r", base index, whitespace, patterns, enumeration, lengths, bounds, digits):
#        a restriction; patterns: one list per derivation step (one of each must match);
#        enumeration: a frozenset of strings or None; lengths and bounds (of integer
#        types): (low, high) or (); digits: (totalDigits, fractionDigits) or ()
#   form["ids"]:     simple type indexes derived from xs:ID (their values must be unique)
EMPTY, SIMPLE, ELEMENTS, MIXED, ALL, MIXED_ALL = 0, 1, 2, 3, 4, 5

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
_XML_SPACE = " \t\r\n"


def save(form: dict[str, Any], path: Path) -> None:
    """Store `form` as its sha256 and then its marshal bytes."""
    data = marshal.dumps({"format": FORMAT, **form})
    path.write_bytes(hashlib.sha256(data).digest() + data)


def load(path: Path) -> dict[str, Any] | None:
    """The compact form stored at `path`; None if there is none or it is from another
    format, or damaged (then it is removed, to be built again)."""
    try:
        stored = path.read_bytes()
    except OSError:
        return None
    digest, data = stored[:32], stored[32:]
    try:
        if hashlib.sha256(data).digest() != digest:
            raise ValueError("damaged")
        form = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if not isinstance(form, dict) or form.get("format") != FORMAT:
        return None
    return form


def proves_valid(form: dict[str, Any], tree: etree._ElementTree) -> bool:
    """True when the document is certainly valid against the schema compiled into `form`;
    False when that is not proven (it may still be valid: ask a full engine)."""
    root = tree.getroot()
    decl = form["roots"].get(root.tag) if isinstance(root.tag, str) else None
    if decl is None:
        return False
    checker = _Checker(form)
    try:
        return checker.element(root, decl) and checker.ids_unique()
    except RecursionError:
        return False


# Built-in types whose lexical space is ASCII (digits 0-9, XML's four whitespace characters):
# a value holding any other character is not of the type, whatever a facet says.
ASCII_TYPES = frozenset(
    {"boolean", "decimal", "date", "dateTime", "gYear", "gYearMonth", "language"}
)  # fmt: skip  (and the integer types: INTEGERS)


# element, attribute, value, type ("" for text in element-only content)
Violation = tuple[etree._Element, "str | None", str, str]


def lexical_errors(form: dict[str, Any], tree: etree._ElementTree) -> list[Violation]:
    """Values a schema's declarations give a type of ASCII lexical space (numbers, dates,
    booleans, language tags) that hold another character: Arabic-Indic or fullwidth digits,
    a no-break space; and white space of other kinds (a no-break space, U+2028) in element-
    only content. The XSD specification calls them invalid; xmlschema reads integers with
    Python's int() and white space with str.strip(), which take them. Found by following the
    declarations as far as they are known (a part they do not reach is not judged here)."""
    root = tree.getroot()
    decl = form["roots"].get(root.tag) if isinstance(root.tag, str) else None
    if decl is None:
        return []
    scanner = _Scanner(form)
    with contextlib.suppress(RecursionError):
        scanner.walk(root, decl)
    return scanner.found


class _Scanner:
    def __init__(self, form: dict[str, Any]) -> None:
        self.decls: list[int] = form["decls"]
        self.types: list[Any] = form["types"]
        self.simple: list[Any] = form["simple"]
        self.found: list[Violation] = []
        self.strict: dict[int, str | None] = {}

    def walk(self, el: etree._Element, decl: int) -> None:
        index = self.decls[decl]
        spec = self.types[index] if index >= 0 else None
        if spec is None:
            return
        kind, attributes, _, simple, states, _ = spec
        for name, value in el.attrib.items():
            use = attributes.get(name)
            if use is not None and not value.isascii():
                self.check(use[0], value, el, name)
        if kind == SIMPLE:
            if all(isinstance(c, etree._Comment | etree._ProcessingInstruction) for c in el):
                text = (el.text or "") + "".join(c.tail or "" for c in el)
                if not text.isascii():
                    self.check(simple, text, el, None)
            return
        if kind == EMPTY:
            return
        if kind in (ELEMENTS, ALL):  # element-only: white space is XML's four characters
            texts = [el.text or "", *(c.tail or "" for c in el)]
            odd = next((t for t in texts if t.strip(_XML_SPACE) and t.isspace()), None)
            if odd is not None:
                self.found.append((el, None, odd, ""))
        children = [c for c in el if isinstance(c.tag, str)]
        if kind in (ALL, MIXED_ALL):
            members = states[0]
            for child in children:
                member = members.get(child.tag)
                if member is not None:
                    self.walk(child, member[1])
            return
        state = 0
        for child in children:
            _, moves, _ = states[state]
            move = moves.get(child.tag)
            if move is None:
                return  # beyond what the declarations say (the engines report it)
            state, child_decl = move
            self.walk(child, child_decl)

    def check(self, index: int, text: str, el: etree._Element, attr: str | None) -> None:
        name = self._strict(index)
        if name is not None:
            self.found.append((el, attr, text, name))

    def _strict(self, index: int) -> str | None:
        """The ASCII built-in type every value of simple type `index` must be lexically,
        or None (a string type, a union with one, a type not known)."""
        if index in self.strict:
            return self.strict[index]
        self.strict[index] = None  # (a cycle, if any, is not strict)
        spec = self.simple[index] if index >= 0 else None
        found: str | None = None
        if spec is not None and spec[0] == "b":
            found = spec[1] if spec[1] in ASCII_TYPES or spec[1] in INTEGERS else None
        elif (spec is not None and spec[0] == "r") or (spec is not None and spec[0] == "l"):
            found = self._strict(spec[1])
        elif spec is not None and spec[0] == "u":
            members = [self._strict(m) for m in spec[1]]
            found = members[0] if members and all(members) else None
        self.strict[index] = found
        return found


_NOT_CONTENT = (etree._Comment, etree._ProcessingInstruction)  # (a tuple: faster than a union)


class _Checker:
    def __init__(self, form: dict[str, Any]) -> None:
        self.decls: list[int] = form["decls"]
        self.types: list[Any] = form["types"]
        self.simple: list[Any] = form["simple"]
        self.id_types: set[int] = set(form["ids"])
        self.ids: list[str] = []
        self.known: dict[tuple[int, str], bool] = {}  # (simple type, value) -> valid
        # each declaration's type, looked up once (it is asked for every element)
        self.specs: list[Any] = [self.types[i] if i >= 0 else None for i in self.decls]
        # per declaration, what an element of it with neither children nor attributes needs
        # (most elements of a batch are such leaves, checked in their parent's loop, where
        # `element` would take a call for it): its text of a simple type (that type's
        # index); any text (ANY_TEXT: mixed content that may have no child); else NOT_LEAF
        self.leaves: list[int] = [_leaf(spec) for spec in self.specs]

    def ids_unique(self) -> bool:
        return len(set(self.ids)) == len(self.ids)

    def element(self, el: etree._Element, decl: int) -> bool:
        spec = self.specs[decl]
        if spec is None:
            return False
        kind, attributes, required, simple, states, tests = spec
        if (required or len(el.attrib)) and not self.attributes(el, attributes, required):
            return False
        if tests and not all(_holds(test, el) for test in tests):
            return False
        if kind == SIMPLE:
            text = el.text or ""
            if not len(el):  # (a leaf: most elements)
                return self.value(simple, text)
            for inner in el:  # comments and processing instructions are not content
                if not isinstance(inner, _NOT_CONTENT):
                    return False  # an element, or an entity reference left in the tree
                text += inner.tail or ""
            return self.value(simple, text)
        if kind == EMPTY:  # ("" is an empty text node, built in memory: not proven either)
            return el.text is None and all(
                isinstance(inner, _NOT_CONTENT) and inner.tail is None for inner in el
            )
        mixed = kind in (MIXED, MIXED_ALL)
        if not mixed:
            text = el.text
            if text and text.strip(_XML_SPACE):
                return False
        if kind in (ALL, MIXED_ALL):
            children = []
            for child in el:
                if not mixed and child.tail and child.tail.strip(_XML_SPACE):
                    return False
                if child.tag.__class__ is str:
                    children.append(child)
                elif not isinstance(child, _NOT_CONTENT):
                    return False  # an entity reference left in the tree
            return self.all_group(children, *states)
        # a sequence: the children in one pass (every test must hold, so their order is free)
        state = 0
        leaves, known = self.leaves, self.known
        for child in el:
            if not mixed:
                tail = child.tail
                if tail and tail.strip(_XML_SPACE):
                    return False
            tag = child.tag
            if tag.__class__ is not str:
                if not isinstance(child, _NOT_CONTENT):
                    return False  # an entity reference left in the tree
                continue
            _, moves, wildcard = states[state]
            move = moves.get(tag)
            if move is None or wildcard:
                return False
            state, child_decl = move
            leaf = leaves[child_decl]
            if leaf == NOT_LEAF or len(child) or len(child.attrib):
                if not self.element(child, child_decl):
                    return False
            elif leaf != ANY_TEXT:  # a leaf of a simple type: `element`'s check, inline
                text = child.text or ""
                ok = known.get((leaf, text))
                if not (self.value(leaf, text) if ok is None else ok):
                    return False
        return bool(states[state][0])

    def all_group(
        self,
        children: list[etree._Element],
        members: dict[str, tuple[int, int]],
        required: list[int],
        emptiable: bool,
    ) -> bool:
        seen: set[int] = set()
        leaves = self.leaves
        for child in children:
            member = members.get(child.tag)
            if member is None or member[0] in seen:
                return False
            seen.add(member[0])
            if leaves[member[1]] == ANY_TEXT and not len(child) and not len(child.attrib):
                continue  # (`element`, inline: most of a citation's parts)
            if not self.element(child, member[1]):
                return False
        return (not children and emptiable) or all(i in seen for i in required)

    def attributes(self, el: etree._Element, allowed: dict[str, Any], required: list[str]) -> bool:
        attrib = el.attrib
        for name in required:
            if name not in attrib:
                return False
        for name, value in attrib.items():
            use = allowed.get(name)
            if use is None:
                hint = name.startswith(XSI) and name[len(XSI) :] in _HINTS
                if hint and all(_uri(v) for v in value.split()):
                    continue  # a schema location: allowed anywhere, ignored
                return False
            simple, fixed = use
            if not self.value(simple, value):
                return False
            if fixed is not None and value != fixed:
                return False  # another spelling of it is judged by a full engine
            if simple in self.id_types:
                self.ids.append(_normalize(value, "collapse"))
        return True

    def value(self, index: int, text: str) -> bool:
        key = (index, text)
        known = self.known.get(key)
        if known is None:
            known = self.known[key] = self._value(index, text)
        return known

    def _value(self, index: int, text: str) -> bool:
        spec = self.simple[index] if index >= 0 else None
        if spec is None:
            return False
        tag = spec[0]
        if tag == "b":
            return _builtin(spec[1], text)
        if tag == "u":
            return any(self.value(m, text) for m in spec[1])
        if tag == "l":
            items = _normalize(text, "collapse").split(" ")
            return all(self.value(spec[1], item) for item in items if item)
        _, base, space, patterns, enumeration, lengths, bounds, digits = spec
        if not self.value(base, text):  # the base applies its own whitespace rule
            return False
        text = _normalize(text, space)
        for group in patterns:
            compiled = [_regex(p) for p in group]
            if None in compiled or not any(r.match(text) for r in compiled if r is not None):
                return False
        if enumeration is not None and text not in enumeration:
            return False
        if lengths:
            size = (len(text.split(" ")) if text else 0) if self._is_list(base) else len(text)
            low, high = lengths
            if (low is not None and size < low) or (high is not None and size > high):
                return False
        if bounds:
            low, high = bounds
            beyond = _beyond(text)
            if beyond is not None:  # more digits than any bound has
                if (high is not None and beyond > 0) or (low is not None and beyond < 0):
                    return False
                return not digits or _digits_ok(text, *digits)
            number = int(text)  # bounds are kept only on integer types
            if (low is not None and number < low) or (high is not None and number > high):
                return False
        return not digits or _digits_ok(text, *digits)

    def _is_list(self, index: int) -> bool:
        spec = self.simple[index]
        while spec is not None and spec[0] == "r":
            spec = self.simple[spec[1]]
        return spec is not None and spec[0] == "l"


NOT_LEAF, ANY_TEXT = -1, -2


def _leaf(spec: Any) -> int:
    """What `_Checker.leaves` holds for a declaration of type `spec`."""
    if spec is None or spec[2] or spec[5]:  # (attributes required, assertions)
        return NOT_LEAF
    kind, states = spec[0], spec[4]
    if kind == SIMPLE:
        return int(spec[3])
    if kind == MIXED and states[0][0]:
        return ANY_TEXT
    return NOT_LEAF


def _holds(test: tuple[Any, ...], el: etree._Element) -> bool:
    """An assertion's value on `el`; False also where it is not certain (an attribute
    value with whitespace to collapse, whose typed value may differ from the text)."""
    op = test[0]
    if op == "or":
        return _holds(test[1], el) or _holds(test[2], el)
    if op == "and":
        return _holds(test[1], el) and _holds(test[2], el)
    if op == "not":
        return not _holds(test[1], el) and _certain(test[1], el)
    if op == "cmp":
        value = el.get(test[2])
        if value is None:
            return False  # a comparison with the empty sequence
        if value != _normalize(value, "collapse"):
            return False
        return value in test[3] if test[1] == "=" else any(value != v for v in test[3])
    found = _step(test[1], el)
    return found if op == "exists" else not found


def _certain(test: tuple[Any, ...], el: etree._Element) -> bool:
    """Whether `_holds` is exact for `test` on `el` (so that not() may invert it)."""
    op = test[0]
    if op in ("or", "and"):
        return _certain(test[1], el) and _certain(test[2], el)
    if op == "not":
        return _certain(test[1], el)
    if op == "cmp":
        value = el.get(test[2])
        return value is None or value == _normalize(value, "collapse")
    return True


def _step(step: tuple[Any, ...], el: etree._Element) -> bool:
    if step[0] == "@":
        return el.get(step[1]) is not None
    _, namespace, local = step
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        ns, _, name = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
        if name == local and (namespace is None or ns == namespace):
            return True
    return False


_HINTS = {"schemaLocation", "noNamespaceSchemaLocation"}
_REGEX: dict[str, re.Pattern[str] | None] = {}
_XML_SPACE_CLASS = " \\t\\n\\r"


def _regex(pattern: str) -> re.Pattern[str] | None:
    r"""A facet's pattern (as xmlschema translated it into Python's syntax), with XSD's
    meaning of `\s`: XML's four whitespace characters, not Python's (NBSP, U+2028, ...).
    None where the translation would not be exact (`\w`: XSD's differs from Python's;
    `\S` inside a character class): such a value is not proven."""
    if pattern in _REGEX:
        return _REGEX[pattern]
    compiled = _REGEX[pattern] = _xsd_regex(pattern)
    return compiled


def _xsd_regex(pattern: str) -> re.Pattern[str] | None:
    out: list[str] = []
    depth = 0  # inside a character class
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            if e in "wW" or (e == "S" and depth):
                return None
            if e == "s":
                out.append(_XML_SPACE_CLASS if depth else f"[{_XML_SPACE_CLASS}]")
            elif e == "S":
                out.append(f"[^{_XML_SPACE_CLASS}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append(c)
        i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return None


def _digits_ok(text: str, total: int | None, fraction: int | None) -> bool:
    """totalDigits / fractionDigits of a decimal value (already lexically checked),
    counted without sign, leading zeros or trailing fractional zeros."""
    whole, _, part = text.lstrip("+-").partition(".")
    whole, part = whole.lstrip("0"), part.rstrip("0")
    if fraction is not None and len(part) > fraction:
        return False
    return total is None or len(whole) + len(part) <= total


def _normalize(text: str, space: str | None) -> str:
    if space == "collapse":
        return " ".join(t for t in re.split(r"[ \t\r\n]+", text) if t)
    if space == "replace":
        return re.sub(r"[\t\r\n]", " ", text)
    return text


# Built-in types, checked conservatively: a value is accepted only where every XSD processor
# accepts it (names and URIs in ASCII, four-digit years, ...); anything else is not proven.
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_LONG = 30  # digits: more than any bound of a built-in integer type has (2**64: 20)
# XSD's lexical spaces are ASCII: [0-9], never Python's \d (Arabic-Indic, fullwidth, ...)
_D = "[0-9]"
_TZ = rf"(Z|[+-]({_D}{_D}):({_D}{_D}))?"
_DATE = re.compile(rf"({_D}{{4}})-({_D}{_D})-({_D}{_D})" + _TZ)
_YEAR_MONTH = re.compile(rf"({_D}{{4}})-({_D}{_D})" + _TZ)
_YEAR = re.compile(rf"({_D}{{4}})" + _TZ)
_DATE_TIME = re.compile(
    rf"({_D}{{4}})-({_D}{_D})-({_D}{_D})T({_D}{_D}):({_D}{_D}):({_D}{_D})(\.{_D}+)?" + _TZ
)
_PCHAR = r"[A-Za-z0-9\-._~!$&'()*+,;=@]|%[0-9A-Fa-f]{2}"  # RFC 3986, less ':' and '/'
_PATH = rf"(?:{_PCHAR}|[:/])*"
_TAIL = rf"(?:\?(?:{_PCHAR}|[:/?])*)?(?:#(?:{_PCHAR}|[:/?])*)?"  # query, fragment
_AUTHORITY = r"//[A-Za-z0-9.-]+(?::[0-9]+)?(?=[/?#]|$)"  # a host name and a port
_URI = re.compile(
    rf"(?:[A-Za-z][A-Za-z0-9+.-]*:(?:{_AUTHORITY}|(?!//)){_PATH}"  # with a scheme
    rf"|{_AUTHORITY}{_PATH}"  # network-path reference
    rf"|(?!//)(?:{_PCHAR})*(?:/{_PATH})?)" + _TAIL  # relative: no ':' in the first segment
)
_INT_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}


def _uri(text: str) -> bool:
    text = _normalize(text, "collapse")
    return " " not in text and _URI.fullmatch(text) is not None


def _timezone_ok(match: re.Match[str], at: int) -> bool:
    if match.group(at) in (None, "Z"):
        return True
    hours, minutes = int(match.group(at + 1)), int(match.group(at + 2))
    return minutes < 60 and (hours < 14 or (hours == 14 and minutes == 0))


def _date_ok(match: re.Match[str]) -> bool:
    try:
        dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False  # also year 0, which XSD 1.0 forbids
    return True


def _date(text: str) -> bool:
    m = _DATE.fullmatch(text)
    return m is not None and _date_ok(m) and _timezone_ok(m, 4)


def _date_time(text: str) -> bool:
    m = _DATE_TIME.fullmatch(text)
    if m is None or not _date_ok(m):
        return False
    hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6))
    return hour < 24 and minute < 60 and second < 60 and _timezone_ok(m, 8)


def _year_month(text: str) -> bool:
    m = _YEAR_MONTH.fullmatch(text)
    return (
        m is not None and int(m.group(1)) > 0 and 1 <= int(m.group(2)) <= 12 and _timezone_ok(m, 3)
    )


def _year(text: str) -> bool:
    m = _YEAR.fullmatch(text)
    return m is not None and int(m.group(1)) > 0 and _timezone_ok(m, 2)


def _beyond(text: str) -> int | None:
    """+1 or -1 for an integer of more digits than any bound has (`_LONG`; int() of 4,300
    digits raises), by its sign; None for one int() reads."""
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) <= _LONG:
        return None
    return -1 if text.startswith("-") else 1


def _integer(name: str) -> Callable[[str], bool]:
    low, high = _INT_RANGES[name]

    def check(text: str) -> bool:
        if _INTEGER.fullmatch(text) is None:
            return False
        beyond = _beyond(text)
        if beyond is not None:  # more digits than any bound: the side it lies on decides
            return (high is None) if beyond > 0 else (low is None)
        number = int(text)
        return (low is None or number >= low) and (high is None or number <= high)

    return check


_BUILTINS: dict[str, Callable[[str], bool]] = {
    **{name: lambda t: True for name in ("anySimpleType", "string", "normalizedString", "token")},
    "language": lambda t: re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", t) is not None,
    "NMTOKEN": lambda t: re.fullmatch(r"[A-Za-z0-9._:-]+", t) is not None,
    "Name": lambda t: re.fullmatch(r"[A-Za-z_:][A-Za-z0-9._:-]*", t) is not None,
    "NCName": lambda t: _NCNAME.fullmatch(t) is not None,
    "ID": lambda t: _NCNAME.fullmatch(t) is not None,
    "IDREF": lambda t: _NCNAME.fullmatch(t) is not None,
    "anyURI": _uri,
    "boolean": lambda t: t in ("true", "false", "1", "0"),
    "decimal": lambda t: _DECIMAL.fullmatch(t) is not None,
    "date": _date,
    "dateTime": _date_time,
    "gYear": _year,
    "gYearMonth": _year_month,
    **{name: _integer(name) for name in _INT_RANGES},
}
BUILTINS = frozenset(_BUILTINS)  # what compact_build may refer to
INTEGERS = frozenset(_INT_RANGES)


STRINGS = frozenset({"anySimpleType", "string", "normalizedString", "token"})


def _builtin(name: str, text: str) -> bool:
    """A built-in type's lexical check. Whitespace around a value of another type than the
    string types is not proven: processors differ on it (libxml2 refuses " 2024-01-01 " as
    an xs:date attribute)."""
    if name in STRINGS:
        return True
    return text == _normalize(text, "collapse") and _BUILTINS[name](text)
