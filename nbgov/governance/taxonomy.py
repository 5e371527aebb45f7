"""A Dataplex-like policy-tag taxonomy: which policy tag each info type gets.

Policy tags are dotted paths in a hierarchy (``PII`` ⊃ ``PII.Sensitive``): a deeper tag
is a more restricted kind of its parent. The default taxonomy maps the contact and
identity info types of :mod:`nbgov.governance.pii` to ``PII`` and the financial and
government identifiers to ``PII.Sensitive``; any other info type (a custom identifier)
gets the taxonomy's ``default`` tag, ``PII``.

A YAML file overrides it — passed as an argument, else named by ``$NBGOV_TAXONOMY``::

    name: acme-privacy
    default: PII                     # for info types not listed (custom identifiers)
    policy_tags:                     # tag -> description; parents are implied
      PII: Personal data
      PII.Sensitive: Financial and government identifiers
      PII.Sensitive.Health: Health records
    info_types:                      # info type -> policy tag
      DATE_OF_BIRTH: PII.Sensitive
      PATIENT_ID: PII.Sensitive.Health
    inherit_defaults: true           # false: start from an empty taxonomy

Example:
    >>> from nbgov.governance.taxonomy import DEFAULT_TAXONOMY
    >>> DEFAULT_TAXONOMY.policy_tag("US_SOCIAL_SECURITY_NUMBER")
    'PII.Sensitive'
    >>> DEFAULT_TAXONOMY.policy_tag("CUST_ID")
    'PII'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from nbgov.errors import ConfigError

__all__ = [
    "DEFAULT_TAXONOMY",
    "TAXONOMY_ENV",
    "Taxonomy",
    "TaxonomyError",
    "load_taxonomy",
]

#: environment variable naming a taxonomy YAML file
TAXONOMY_ENV = "NBGOV_TAXONOMY"

_TAG = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}(\.[A-Za-z][A-Za-z0-9_-]{0,63})*")
_INFO_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_KEYS = {"name", "default", "policy_tags", "info_types", "inherit_defaults"}


class TaxonomyError(ConfigError):
    """A taxonomy file or mapping is unreadable or invalid.

    Attributes:
        path: the file at fault (``None`` for an in-memory mapping).
        line: the 1-based line of the problem in that file, when known.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = None
        if path is not None:
            where = f"{path}:{line}" if line is not None else path
        super().__init__(message, source=where)
        self.path = path
        self.line = line


def _ancestors(tag: str) -> tuple[str, ...]:
    """``"A.B.C"`` -> ``("A", "A.B")``."""
    parts = tag.split(".")
    return tuple(".".join(parts[:i]) for i in range(1, len(parts)))


@dataclass(frozen=True)
class Taxonomy:
    """Policy tags and the info type → policy tag mapping.

    Attributes:
        name: the taxonomy's name.
        policy_tags: every policy tag (dotted path) with its description, parents included.
        info_types: info type → policy tag.
        default: the policy tag of an info type not in ``info_types``.
        source: the file it was read from, if any.
    """

    name: str
    policy_tags: Mapping[str, str]
    info_types: Mapping[str, str]
    default: str = "PII"
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "policy_tags", MappingProxyType(dict(self.policy_tags)))
        object.__setattr__(self, "info_types", MappingProxyType(dict(self.info_types)))

    def policy_tag(self, info_type: str) -> str:
        """The policy tag of ``info_type`` (the taxonomy's ``default`` when unmapped)."""
        return self.info_types.get(info_type, self.info_types.get(info_type.upper(), self.default))

    def ancestors(self, tag: str) -> tuple[str, ...]:
        """The tags above ``tag``, root first (``PII.Sensitive`` → ``("PII",)``)."""
        return _ancestors(tag)

    def most_specific(self, tags: Iterable[str]) -> str | None:
        """The deepest of ``tags`` (ties: the first declared in the taxonomy, then by name)."""
        order = {t: i for i, t in enumerate(self.policy_tags)}
        found = sorted(set(tags), key=lambda t: (-t.count("."), order.get(t, len(order)), t))
        return found[0] if found else None

    def to_dict(self) -> dict[str, Any]:
        """The taxonomy in the YAML file's shape (``inherit_defaults: false``)."""
        return {
            "name": self.name,
            "default": self.default,
            "policy_tags": dict(self.policy_tags),
            "info_types": dict(self.info_types),
            "inherit_defaults": False,
        }

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source: str | None = None, lines: Mapping[tuple[str, ...], int] | None = None
    ) -> Taxonomy:
        """Build from the YAML file's shape (see the module docstring).

        Args:
            data: the parsed mapping.
            source: the file it came from, named in errors.
            lines: 1-based line of each key path, e.g. ``("info_types", "CUST_ID")``, for errors.

        Raises:
            TaxonomyError: a key is unknown, a tag or info type name is malformed, or an
                info type maps to a tag the taxonomy does not declare.
        """
        where = dict(lines or {})

        def fail(message: str, *path: str) -> TaxonomyError:
            line = None
            for i in range(len(path), 0, -1):
                if path[:i] in where:
                    line = where[path[:i]]
                    break
            return TaxonomyError(message, path=source, line=line)

        if not isinstance(data, Mapping):
            raise fail(f"a taxonomy must be a mapping, got {type(data).__name__}")
        unknown = sorted(set(map(str, data)) - _KEYS)
        if unknown:
            raise fail(f"unknown key {unknown[0]!r} (expected {', '.join(sorted(_KEYS))})", unknown[0])
        inherit = data.get("inherit_defaults", True)
        if not isinstance(inherit, bool):
            raise fail("inherit_defaults must be true or false", "inherit_defaults")
        base = DEFAULT_TAXONOMY if inherit else None
        tags: dict[str, str] = dict(base.policy_tags) if base else {}
        mapping: dict[str, str] = dict(base.info_types) if base else {}

        declared = data.get("policy_tags") or {}
        if isinstance(declared, list):  # a bare list of tag names
            declared = {str(t): "" for t in declared}
        if not isinstance(declared, Mapping):
            raise fail("policy_tags must map tag names to descriptions", "policy_tags")
        for tag, description in declared.items():
            tag = str(tag)
            if not _TAG.fullmatch(tag):
                raise fail(f"malformed policy tag {tag!r} (dotted names like PII.Sensitive)", "policy_tags", tag)
            if description is not None and not isinstance(description, str):
                raise fail(f"the description of {tag} must be text", "policy_tags", tag)
            for parent in _ancestors(tag):
                tags.setdefault(parent, "")
            tags[tag] = description or tags.get(tag, "")

        types = data.get("info_types") or {}
        if not isinstance(types, Mapping):
            raise fail("info_types must map info types to policy tags", "info_types")
        for info_type, tag in types.items():
            info_type = str(info_type)
            if not _INFO_TYPE.fullmatch(info_type):
                raise fail(f"malformed info type {info_type!r}", "info_types", info_type)
            if not isinstance(tag, str) or tag not in tags:
                raise fail(f"{info_type} maps to {tag!r}, which is not a declared policy tag", "info_types", info_type)
            mapping[info_type] = tag

        default = data.get("default", base.default if base else None)
        if default is None:
            default = next(iter(tags), None)
        if not isinstance(default, str) or default not in tags:
            raise fail(f"default {default!r} is not a declared policy tag", "default")
        name = data.get("name", base.name if base else "custom")
        if not isinstance(name, str) or not name.strip():
            raise fail("name must be non-empty text", "name")
        return cls(name=name, policy_tags=tags, info_types=mapping, default=default, source=source)


DEFAULT_TAXONOMY = Taxonomy(
    name="nbgov-default",
    policy_tags={
        "PII": "Personal data: identifies or contacts a person",
        "PII.Sensitive": "Financial and government identifiers: misuse enables fraud or identity theft",
    },
    info_types={
        "EMAIL_ADDRESS": "PII",
        "PHONE_NUMBER": "PII",
        "PERSON_NAME": "PII",
        "STREET_ADDRESS": "PII",
        "IP_ADDRESS": "PII",
        "DATE_OF_BIRTH": "PII",
        "CREDIT_CARD_NUMBER": "PII.Sensitive",
        "US_SOCIAL_SECURITY_NUMBER": "PII.Sensitive",
        "IBAN_CODE": "PII.Sensitive",
    },
    default="PII",
)


def _key_lines(node: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """1-based line of each mapping key path in a composed YAML node tree."""
    import yaml

    out: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, str(key.value))
            out[path] = key.start_mark.line + 1
            out.update(_key_lines(value, path))
    return out


def _read_yaml(path: Path) -> tuple[Any, dict[tuple[str, ...], int]]:
    """Parse a YAML file; return the data and the line of each key path."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot read: {exc}", path=str(path)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        col = f", column {mark.column + 1}" if mark is not None else ""
        raise TaxonomyError(f"invalid YAML{col}: {problem}", path=str(path), line=line) from None
    return data, _key_lines(node)


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> Taxonomy:
    """The taxonomy to use: the YAML file ``path``, else ``$NBGOV_TAXONOMY``, else the default.

    Args:
        path: a taxonomy YAML file.

    Returns:
        The taxonomy; an empty file yields the default one.

    Raises:
        TaxonomyError: (a :class:`~nbgov.errors.ConfigError`) the file cannot be read,
            is not valid YAML, or does not describe a valid taxonomy — the message names
            the file and the line.
    """
    if path is None or not str(path).strip():
        env = os.environ.get(TAXONOMY_ENV, "").strip()
        if not env:
            return DEFAULT_TAXONOMY
        path = env
    file = Path(path).expanduser()
    data, lines = _read_yaml(file)
    if data is None:
        return DEFAULT_TAXONOMY
    return Taxonomy.from_mapping(data, source=str(file), lines=lines)
