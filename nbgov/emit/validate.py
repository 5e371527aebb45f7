"""Validate OpenLineage events against the official JSON Schemas, offline.

The only module that imports ``jsonschema`` and ``referencing``. Schemas come from
a folder laid out like https://openlineage.io/spec/ (by default the copy vendored in
``nbgov/schemas``): a schema's ``$id`` path is its file path there, so every ``$ref``
between schemas resolves locally and nothing is ever fetched over the network.

An event is checked in two steps:

1. **Core.** The event kind is read from its shape (``run`` and ``job`` → RunEvent;
   ``dataset`` and no ``run`` → DatasetEvent; ``job`` and no ``run`` → JobEvent;
   anything else is checked as a RunEvent). The event is validated against that
   definition in the core schema its ``schemaURL`` names when that document is in the
   root (only the document part of the URL counts: 1-0-x files keep their
   definitions under ``definitions``, 2-0-x under ``$defs``), else in 2-0-2.
2. **Facets.** Each facet under ``run.facets``, ``job.facets``, ``inputs[i].facets``,
   ``inputs[i].inputFacets``, ``outputs[i].facets``, ``outputs[i].outputFacets`` (and
   ``dataset.facets`` for a DatasetEvent) whose ``_schemaURL`` names a document in the
   root is validated against the definition the URL's fragment points at; without a
   fragment, against the document's top-level ``properties`` entry for the facet's key,
   falling back to the document's only facet definition. Facets whose ``_schemaURL``
   is not an openlineage.io spec URL or names a document absent from the root (custom
   facets) are *skipped*, not errors: :meth:`EventValidator.check` lists them in
   :attr:`ValidationReport.facets`. Facets inside a ParentRunFacet are not descended.

Deleted facets (``{"_deleted": true}``) are accepted where the spec defines
``_deleted``: job facets and dataset facets (``job.facets``, ``inputs[i].facets``,
``outputs[i].facets``, ``dataset.facets``).

Formats ``date-time`` (RFC 3339), ``uri`` (RFC 3986, absolute) and ``uuid`` (RFC 4122
text form) are always checked by nbgov's own checks, so results do not depend on which
optional packages jsonschema finds installed.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import numbers
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from nbgov.errors import ConfigError, InvalidEventError

__all__ = [
    "DEFAULT_CORE_URL",
    "SCHEMAS_DIR",
    "SPEC_URL_PREFIX",
    "EventValidator",
    "FacetCheck",
    "ValidationProblem",
    "ValidationReport",
    "default_validator",
]

SPEC_URL_PREFIX = "https://openlineage.io/spec/"
DEFAULT_CORE_URL = SPEC_URL_PREFIX + "2-0-2/OpenLineage.json"
SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"

_MAX_MESSAGE = 300
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CORE_FACET_BASE = re.compile(r"/OpenLineage\.json#/(?:\$defs|definitions)/\w*Facet$")


@dataclasses.dataclass(frozen=True)
class ValidationProblem:
    """One way in which an event breaks the spec.

    Attributes:
        path: readable JSON path of the offending field, e.g. ``run.runId`` or
            ``outputs[0].facets.schema.fields[2].name``; ``""`` for the event itself.
        message: what is wrong.
        schema_url: the schema definition the event or facet was checked against.
    """

    path: str
    message: str
    schema_url: str | None = None

    def __str__(self) -> str:
        return f"{self.path or '<event>'}: {self.message}"


@dataclasses.dataclass(frozen=True)
class FacetCheck:
    """What happened to one facet in step 2.

    Attributes:
        path: JSON path of the facet, e.g. ``outputs[0].facets.schema``.
        schema_url: the facet's ``_schemaURL`` as given (``None`` if absent).
        validated: whether the facet was validated against its own schema.
        reason: why it was skipped, when it was.
    """

    path: str
    schema_url: str | None
    validated: bool
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class ValidationReport:
    """The result of :meth:`EventValidator.check`.

    Attributes:
        problems: every problem found; empty when the event is valid.
        facets: one entry per facet seen, validated or skipped.
        event_schema_url: the core definition the event was validated against.
    """

    problems: tuple[ValidationProblem, ...]
    facets: tuple[FacetCheck, ...] = ()
    event_schema_url: str | None = None

    @property
    def ok(self) -> bool:
        """True when there are no problems."""
        return not self.problems

    @property
    def skipped(self) -> tuple[FacetCheck, ...]:
        """The facets that were not validated against a facet schema."""
        return tuple(f for f in self.facets if not f.validated)


# -- formats -------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))"
)
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_AUTHORITY = re.compile(r"//([^/?#]*)(.*)", re.DOTALL)
_IP_LITERAL_AUTHORITY = re.compile(r"(?:[^@\[\]]*@)?\[[0-9A-Za-z.:\-_~!$&'()*+,;=%]+\](?::[0-9]*)?")


def _is_date_time(value: object) -> bool:
    """RFC 3339 ``date-time``: full date, ``T``, full time with an offset."""
    if not isinstance(value, str):
        return True
    m = _DATE_TIME.fullmatch(value)
    if m is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    if hour > 23 or minute > 59 or second > 60:  # 60: a leap second
        return False
    if m.group(7) is not None and (int(m.group(7)) > 23 or int(m.group(8)) > 59):
        return False
    return True


def _is_uuid(value: object) -> bool:
    """RFC 4122 text form: 8-4-4-4-12 hex digits."""
    return not isinstance(value, str) or _UUID.fullmatch(value) is not None


def _is_uri(value: object) -> bool:
    """RFC 3986 ``URI``: a scheme, then only URI characters, well-formed escapes."""
    if not isinstance(value, str):
        return True
    if _URI.fullmatch(value) is None or _BAD_PERCENT.search(value) or value.count("#") > 1:
        return False
    if "[" in value or "]" in value:  # brackets only around an IP literal host
        parts = _AUTHORITY.match(value.split(":", 1)[1])
        if parts is None:
            return False
        authority, tail = parts.groups()
        if "[" in tail or "]" in tail or _IP_LITERAL_AUTHORITY.fullmatch(authority) is None:
            return False
    return True


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    checker.checks("uuid")(_is_uuid)
    return checker


_FORMATS = _format_checker()


# -- paths and errors ----------------------------------------------------------------


def _format_path(parts: Iterable[str | int]) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that explain ``error``: itself, or for anyOf/oneOf the best branch's.

    The branch whose errors reach deepest into the instance wins (it got furthest
    before failing); ties go to fewer errors, then to the earlier branch.
    """
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).extend(_leaves(sub))
    best = max(
        branches.values(),
        key=lambda leaves: (max(len(e.absolute_path) for e in leaves), -len(leaves)),
    )
    return best


def _missing_name(error: ValidationError) -> str | None:
    """The property a ``required`` / ``dependentRequired`` error is about."""
    if error.validator == "required":
        for name in error.validator_value:
            if error.message == f"{name!r} is a required property":
                return name
    elif error.validator == "dependentRequired":
        for names in error.validator_value.values():
            for name in names:
                if error.message.startswith(f"{name!r} is a dependency of "):
                    return name
    return None


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _json_pointer_get(document: Any, pointer: str) -> Any:
    """Resolve a URI-fragment JSON pointer (``/$defs/X``); raise LookupError if absent."""
    node = document
    for raw in pointer.split("/")[1:]:
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise LookupError(pointer)
    return node


def _pointer_token(token: str) -> str:
    return quote(token.replace("~", "~0").replace("/", "~1"), safe="")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# -- fast acceptance -----------------------------------------------------------------
#
# jsonschema explains failures well but walks a typical event at ~1.5 ms. Most events
# are valid, so each definition is also compiled into plain Python predicates that only
# answer "valid?" for the keywords the OpenLineage schemas use, mirroring jsonschema's
# semantics exactly. A "yes" skips jsonschema; a "no" (or a schema using any other
# keyword, which is then never compiled) goes to jsonschema for the full explanation.

_Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {
        "$schema", "$id", "$defs", "definitions", "$comment", "title", "description",
        "default", "deprecated", "readOnly", "writeOnly", "example", "examples", "documentation",
    }
)  # fmt: skip


_OBJECT_KEYWORDS = ("properties", "additionalProperties", "required", "dependentRequired")


class _Unsupported(Exception):
    """A schema uses something the fast compiler does not mirror."""


def _true(_: Any) -> bool:
    return True


def _false(_: Any) -> bool:
    return False


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


_TYPE_TESTS: dict[str, _Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    "integer": lambda x: (isinstance(x, int) and not isinstance(x, bool))
    or (isinstance(x, float) and x.is_integer()),
}

_FORMAT_TESTS: dict[str, _Check] = {"date-time": _is_date_time, "uri": _is_uri, "uuid": _is_uuid}


def _all_of(checks: Iterable[_Check]) -> _Check:
    flat: list[_Check] = []
    for c in checks:
        flat.extend(getattr(c, "all_of", (c,)))  # splice nested conjunctions
    if not flat:
        return _true
    if len(flat) == 1:
        return flat[0]
    parts = tuple(flat)

    def check(x: Any) -> bool:
        for c in parts:
            if not c(x):
                return False
        return True

    check.all_of = parts  # type: ignore[attr-defined]
    return check


def _any_of(checks: Iterable[_Check]) -> _Check:
    parts = tuple(checks)

    def check(x: Any) -> bool:
        for c in parts:
            if c(x):
                return True
        return False

    return check


def _one_of(checks: Iterable[_Check]) -> _Check:
    parts = tuple(checks)

    def check(x: Any) -> bool:
        return sum(1 for c in parts if c(x)) == 1

    return check


class _FastCompiler:
    """Compiles schema definitions into predicates; shares the validator's documents."""

    def __init__(self, document: Callable[[str], Any]) -> None:
        self._document = document
        self._compiled: dict[str, _Check] = {}

    def compile_url(self, url: str) -> _Check | None:
        """A predicate for the definition at ``url``, or None if it cannot be mirrored."""
        snapshot = dict(self._compiled)
        try:
            return self._ref(url)
        except (_Unsupported, LookupError, TypeError, AttributeError):
            self._compiled = snapshot  # drop half-built recursive entries
            return None

    def _ref(self, url: str) -> _Check:
        found = self._compiled.get(url)
        if found is not None:
            return found
        cell: list[_Check] = []

        def indirect(x: Any) -> bool:  # stands in while a recursive definition is built
            return cell[0](x)

        self._compiled[url] = indirect
        doc_url, fragment = urldefrag(url)
        if not doc_url.startswith(SPEC_URL_PREFIX):
            raise _Unsupported(url)
        document = self._document(doc_url)
        if document is None:
            schema: Any = False  # as in the registry: an unpublished document matches nothing
        else:
            schema = _json_pointer_get(document, fragment) if fragment else document
        check = self._compile(schema, doc_url)
        cell.append(check)
        self._compiled[url] = check
        return check

    def _compile(self, schema: Any, base: str) -> _Check:
        if schema is True:
            return _true
        if schema is False:
            return _false
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        if isinstance(schema.get("$id"), str):
            base = urljoin(base, schema["$id"])
        # A lone "type" folds into the keyword that already tests the same Python type.
        kind = schema.get("type")
        strict = kind if kind in ("object", "array", "string") else None
        folded = False
        checks: list[_Check] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS or key in _OBJECT_KEYWORDS or key == "type":
                continue
            if key == "$ref":
                checks.append(self._ref(urljoin(base, value)))
            elif key == "allOf":
                checks.extend(self._compile(s, base) for s in value)
            elif key == "anyOf":
                checks.append(_any_of([self._compile(s, base) for s in value]))
            elif key == "oneOf":
                checks.append(_one_of([self._compile(s, base) for s in value]))
            elif key == "not":
                sub = self._compile(value, base)
                checks.append(lambda x, sub=sub: not sub(x))
            elif key == "items":
                checks.append(self._items(self._compile(value, base), strict == "array"))
                folded = folded or strict == "array"
            elif key in ("enum", "const"):
                values = frozenset(value if key == "enum" else [value])
                if not all(isinstance(v, str) for v in values):
                    raise _Unsupported(key)  # jsonschema's equality rules matter for non-strings
                checks.append(lambda x, vs=values: isinstance(x, str) and x in vs)
                folded = folded or strict == "string"
            elif key == "format":
                test = _FORMAT_TESTS.get(value)
                if test is not None:
                    checks.append(_strict_string(test) if strict == "string" else test)
                    folded = folded or strict == "string"
            elif key == "minimum":
                checks.append(lambda x, m=value: not _is_number(x) or x >= m)
            else:
                raise _Unsupported(key)
        if any(k in schema for k in _OBJECT_KEYWORDS):
            checks.append(self._object(schema, base, strict == "object"))
            folded = folded or strict == "object"
        if kind is not None and not folded:
            tests = [_TYPE_TESTS[t] for t in ([kind] if isinstance(kind, str) else kind)]
            checks.insert(0, tests[0] if len(tests) == 1 else _any_of(tests))
        return _all_of(checks)

    @staticmethod
    def _items(item: _Check, strict: bool) -> _Check:
        def check(x: Any) -> bool:
            if not isinstance(x, list):
                return not strict
            for i in x:
                if not item(i):
                    return False
            return True

        return check

    def _object(self, schema: Mapping[str, Any], base: str, strict: bool) -> _Check:
        properties = {k: self._compile(v, base) for k, v in schema.get("properties", {}).items()}
        additional = schema.get("additionalProperties", True)
        extra = None if additional is True else self._compile(additional, base)
        required = tuple(schema.get("required", ()))
        dependent = tuple((k, tuple(v)) for k, v in schema.get("dependentRequired", {}).items())

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return not strict
            for name in required:
                if name not in x:
                    return False
            for name, needs in dependent:
                if name in x and any(n not in x for n in needs):
                    return False
            for name, value in x.items():
                sub = properties.get(name, extra)
                if sub is not None and not sub(value):
                    return False
            return True

        return check


def _strict_string(test: _Check) -> _Check:
    return lambda x: isinstance(x, str) and test(x)


# -- the validator -------------------------------------------------------------------

_BAD_FRAGMENT = "fragment names no definition"
_FacetSite = tuple[tuple[str | int, ...], Mapping[str, Any], bool]


class EventValidator:
    """Validates OpenLineage events against a local copy of the spec.

    Schemas are read on first use and kept; validators are compiled once per schema
    definition and reused, so one instance should be shared (see
    :func:`default_validator`).

    Args:
        root: folder mirroring https://openlineage.io/spec/ (``2-0-2/OpenLineage.json``,
            ``facets/1-2-0/SchemaDatasetFacet.json``, ...). Defaults to the schemas
            vendored in ``nbgov/schemas``.

    Raises:
        ConfigError: if ``root`` is not a folder.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else SCHEMAS_DIR
        if not self.root.is_dir():
            raise ConfigError("OpenLineage spec folder not found", source=str(self.root))
        self._documents: dict[str, Any] = {}
        self._resources: dict[str, Resource[Any]] = {}
        self._registry: Registry[Any] = Registry(retrieve=self._retrieve)
        self._lock = threading.RLock()  # guards warming up: loading, compiling
        self._validators: dict[str, Draft202012Validator] = {}
        self._compiler = _FastCompiler(self._document)
        self._fast_checks: dict[str, _Check | None] = {}
        self._facet_targets: dict[tuple[str, str], tuple[str | None, str]] = {}

    def __repr__(self) -> str:
        return f"EventValidator(root={str(self.root)!r})"

    # public API ------------------------------------------------------------------

    def validate(self, event: Mapping[str, Any]) -> list[ValidationProblem]:
        """Validate one event.

        Args:
            event: the event as a JSON object (e.g. ``Serde.to_dict(run_event)``).

        Returns:
            Every problem found, core problems first; an empty list means valid.
        """
        return list(self.check(event).problems)

    def validate_or_raise(self, event: Mapping[str, Any], index: int | None = None) -> None:
        """Validate one event and raise on the first problem.

        Args:
            event: the event as a JSON object.
            index: position of the event in its input, carried into the error.

        Raises:
            InvalidEventError: with the problem's message and ``path``.
        """
        problems = self.check(event).problems
        if problems:
            first = problems[0]
            raise InvalidEventError(first.message, path=first.path, index=index)

    def check(self, event: Mapping[str, Any]) -> ValidationReport:
        """Validate one event and say which facets were checked and which skipped.

        Args:
            event: the event as a JSON object.

        Returns:
            A :class:`ValidationReport`.
        """
        if not isinstance(event, Mapping):
            return ValidationReport(
                (ValidationProblem("", f"event is not a JSON object but {type(event).__name__}"),)
            )
        problems: list[ValidationProblem] = []
        kind = self._event_kind(event)
        sites = list(self._facet_sites(event, kind))
        deleted = [path for path, facet, deletable in sites if deletable and facet.get("_deleted") is True]

        core_url = self._core_url(event, kind, problems)
        problems.extend(self._run(core_url, event, (), deleted))

        checks: list[FacetCheck] = []
        for path, facet, deletable in sites:
            problems.extend(self._check_facet(path, facet, deletable, checks))

        seen: set[tuple[str, str]] = set()
        unique = []
        for problem in problems:
            if (problem.path, problem.message) not in seen:
                seen.add((problem.path, problem.message))
                unique.append(problem)
        return ValidationReport(tuple(unique), tuple(checks), core_url)

    # step 1: the core schema -----------------------------------------------------

    @staticmethod
    def _event_kind(event: Mapping[str, Any]) -> str:
        if "run" in event and "job" in event:
            return "RunEvent"
        if "dataset" in event and "run" not in event:
            return "DatasetEvent"
        if "job" in event and "run" not in event:
            return "JobEvent"
        return "RunEvent"

    def _core_url(self, event: Mapping[str, Any], kind: str, problems: list[ValidationProblem]) -> str:
        """The core definition to validate against; reports a ``schemaURL`` that cannot fit."""
        named = event.get("schemaURL")
        if isinstance(named, str) and named.startswith(SPEC_URL_PREFIX):
            doc_url = urldefrag(named).url
            document = self._document(doc_url)
            if isinstance(document, Mapping):
                for container in ("$defs", "definitions"):
                    if kind in document.get(container, ()):
                        return f"{doc_url}#/{container}/{kind}"
                problems.append(
                    ValidationProblem("schemaURL", f"{doc_url} defines no {kind}; checked against 2-0-2")
                )
        return f"{DEFAULT_CORE_URL}#/$defs/{kind}"

    # step 2: facets --------------------------------------------------------------

    @staticmethod
    def _facet_sites(event: Mapping[str, Any], kind: str) -> Iterator[_FacetSite]:
        """Yield ``(path, facet, deletable)`` for every facet the event carries."""

        def facets_of(owner: Any, key: str, prefix: tuple[str | int, ...], deletable: bool):
            facets = owner.get(key) if isinstance(owner, Mapping) else None
            if isinstance(facets, Mapping):
                for name, facet in facets.items():
                    if isinstance(facet, Mapping):
                        yield (*prefix, key, name), facet, deletable

        if kind == "DatasetEvent":
            yield from facets_of(event.get("dataset"), "facets", ("dataset",), True)
            return
        if kind == "RunEvent":
            yield from facets_of(event.get("run"), "facets", ("run",), False)
        yield from facets_of(event.get("job"), "facets", ("job",), True)
        for side, own in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
            datasets = event.get(side)
            if isinstance(datasets, list):
                for i, dataset in enumerate(datasets):
                    yield from facets_of(dataset, "facets", (side, i), True)
                    yield from facets_of(dataset, own, (side, i), False)

    def _check_facet(
        self,
        path: tuple[str | int, ...],
        facet: Mapping[str, Any],
        deletable: bool,
        checks: list[FacetCheck],
    ) -> list[ValidationProblem]:
        where = _format_path(path)
        url = facet.get("_schemaURL")
        url = url if isinstance(url, str) else None

        def skip(reason: str) -> list[ValidationProblem]:
            checks.append(FacetCheck(where, url, False, reason))
            return []

        if deletable and facet.get("_deleted") is True:
            return skip("deleted facet")
        if url is None:
            return skip("no _schemaURL")
        key = str(path[-1])
        resolved = self._facet_targets.get((url, key))
        if resolved is None:
            resolved = self._facet_targets[(url, key)] = self._resolve_facet(url, key)
        target, reason = resolved
        if target is None:
            if reason == _BAD_FRAGMENT:
                checks.append(FacetCheck(where, url, False, reason))
                return [ValidationProblem(f"{where}._schemaURL", f"{url} names no definition", url)]
            return skip(reason)
        checks.append(FacetCheck(where, url, True))
        return self._run(target, facet, path, ())

    def _resolve_facet(self, url: str, key: str) -> tuple[str | None, str]:
        """``(definition URL, "")`` for a facet, or ``(None, why it is not validated)``."""
        if not url.startswith(SPEC_URL_PREFIX):
            return None, "not an OpenLineage spec URL"
        doc_url, fragment = urldefrag(url)
        document = self._document(doc_url)
        if not isinstance(document, Mapping):
            return None, "schema not in the spec folder"
        target = self._facet_target(doc_url, fragment, document, key)
        if target is None:
            return None, _BAD_FRAGMENT if fragment else "no definition for this facet key"
        return target, ""

    def _facet_target(self, doc_url: str, fragment: str, document: Mapping[str, Any], key: str) -> str | None:
        """The URL of the definition that describes a facet, or None."""
        if fragment:
            try:
                _json_pointer_get(document, fragment)
            except LookupError:
                return None
            return f"{doc_url}#{fragment}"
        properties = document.get("properties")
        if isinstance(properties, Mapping) and key in properties:
            ref = properties[key].get("$ref") if isinstance(properties[key], Mapping) else None
            if isinstance(ref, str) and ref.startswith("#/") and len(properties[key]) == 1:
                return f"{doc_url}{ref}"
            return f"{doc_url}#/properties/{_pointer_token(key)}"
        for container in ("$defs", "definitions"):
            defs = document.get(container)
            if isinstance(defs, Mapping):
                facet_defs = [name for name, d in defs.items() if _is_facet_def(d)]
                if len(facet_defs) == 1:
                    return f"{doc_url}#/{container}/{_pointer_token(facet_defs[0])}"
        return None

    # running a compiled validator ------------------------------------------------

    def _run(
        self,
        url: str,
        instance: Any,
        prefix: tuple[str | int, ...],
        deleted: Iterable[tuple[str | int, ...]],
    ) -> list[ValidationProblem]:
        fast = self._fast_check(url)
        if fast is not None and fast(instance):
            return []
        deleted = tuple(deleted)
        try:
            errors = list(self._validator(url).iter_errors(instance))
        except Unresolvable as exc:  # a $ref outside the spec folder; never fetched
            return [ValidationProblem(_format_path(prefix), f"cannot resolve {exc}", url)]
        problems = []
        for error in errors:
            for leaf in _leaves(error):
                full = (*prefix, *leaf.absolute_path)
                if any(full[: len(d)] == d for d in deleted):
                    continue
                name = _missing_name(leaf)
                if name is not None:
                    full = (*full, name)
                problems.append(ValidationProblem(_format_path(full), _short(leaf.message), url))
        return problems

    def _fast_check(self, url: str) -> _Check | None:
        if url not in self._fast_checks:
            with self._lock:
                if url not in self._fast_checks:
                    self._fast_checks[url] = self._compiler.compile_url(url)
        return self._fast_checks[url]

    def _validator(self, url: str) -> Draft202012Validator:
        validator = self._validators.get(url)
        if validator is None:
            with self._lock:
                self._preload(urldefrag(url).url)
                validator = Draft202012Validator(
                    {"$ref": url}, registry=self._registry, format_checker=_FORMATS
                )
                self._validators[url] = validator
        return validator

    def _preload(self, doc_url: str) -> None:
        """Put a document and everything it references into the registry.

        Validators keep the registry they were built with, so anything only fetched
        through ``retrieve`` would be fetched again on every run.
        """
        todo, seen = [doc_url], set()
        while todo:
            uri = todo.pop()
            if uri in seen:
                continue
            seen.add(uri)
            if uri not in self._registry:
                self._registry = self._registry.with_resource(uri, self._retrieve(uri))
            document = self._document(uri)
            if isinstance(document, Mapping):
                for ref in _refs(document):
                    target = urldefrag(urljoin(uri, ref)).url
                    if target.startswith(SPEC_URL_PREFIX):
                        todo.append(target)

    # loading ---------------------------------------------------------------------

    def _document(self, doc_url: str) -> Any:
        """The parsed JSON of a spec document, or None if the root does not have it.

        Raises:
            ConfigError: if the root holds the file but it is not JSON.
        """
        if doc_url in self._documents:
            return self._documents[doc_url]
        document = None
        relative = doc_url[len(SPEC_URL_PREFIX) :] if doc_url.startswith(SPEC_URL_PREFIX) else ""
        if relative.endswith(".json") and ".." not in relative.split("/"):
            file = self.root / relative
            if file.is_file():
                try:
                    document = json.loads(file.read_text(encoding="utf-8"))
                except ValueError as exc:
                    raise ConfigError(f"not a JSON schema: {exc}", source=str(file)) from exc
        self._documents[doc_url] = document
        return document

    def _retrieve(self, uri: str) -> Resource[Any]:
        """The registry's retrieve hook: local files only, never the network.

        A spec URL the root does not have becomes a schema that matches nothing: the
        1-0-4 … 2-0-1 core schemas list facet alternatives (inside ``anyOf``) by
        relative ``$ref``s to files that were never published.
        """
        resource = self._resources.get(uri)
        if resource is None:
            if not uri.startswith(SPEC_URL_PREFIX):
                raise NoSuchResource(ref=uri)
            document = self._document(uri)
            resource = DRAFT202012.create_resource(document if document is not None else False)
            self._resources[uri] = resource
        return resource


def _is_facet_def(definition: Any) -> bool:
    """Whether a definition extends one of the core facet definitions."""
    if not isinstance(definition, Mapping):
        return False
    return any(
        isinstance(part, Mapping)
        and isinstance(part.get("$ref"), str)
        and _CORE_FACET_BASE.search(part["$ref"]) is not None
        for part in definition.get("allOf", ())
    )


@functools.lru_cache(maxsize=None)
def default_validator() -> EventValidator:
    """The shared validator over the vendored schemas.

    Returns:
        One :class:`EventValidator` per process, created on first call.
    """
    return EventValidator()
