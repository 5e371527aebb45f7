"""Reference profiles kept in the store, and drift between two stored dataset versions.

A :class:`~nbgov.governance.drift.DatasetProfile` (see ``drift.profile``) is stored as a
custom dataset facet, ``nbgovProfile``, on a spec-valid OpenLineage event, so a later run
compares against it without the old data:

- for a version a run wrote: a RunEvent of that run (``eventType`` ``OTHER``, so the run's
  state is untouched) whose output carries the facet and the version's ``version`` facet;
  its ``eventTime`` is the version's last update, so recording a profile late never
  makes an old run its job's latest. The store merges the facet into that version.
- for a dataset no run wrote (a source table, a scanned file): a DatasetEvent; the
  profile is the dataset's, without a version.

The facet is the profile's ``to_dict()`` plus ``_producer`` and ``_schemaURL``
(:data:`PROFILE_SCHEMA_URL`; the JSON Schema ships as
``nbgov/governance/schemas/NbgovProfileDatasetFacet.json``). A capture hook that writes
the version itself can put ``profile_facet(df)`` among the output's facets instead.

Example:
    >>> record_profile(store, "file", "/data/sales.csv", df, run_id=run_id)  # doctest: +SKIP
    >>> version_drift(store, "dataset:file:/data/sales.csv").drifted_columns          # doctest: +SKIP
    ('amount',)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nbgov.emit.events import PRODUCER, dataset, dataset_event, facet, run_event, to_dict
from nbgov.errors import NbgovError, NodeNotFoundError
from nbgov.governance.drift import DatasetProfile, DriftError, DriftReport, compare, profile
from nbgov.model.nodes import NodeId, NodeType

if TYPE_CHECKING:
    import pandas as pd

    from nbgov.store import Store

__all__ = [
    "PROFILE_FACET",
    "PROFILE_SCHEMA_URL",
    "ProfileNotFoundError",
    "StoredProfile",
    "VersionNotFoundError",
    "drift",
    "profile_facet",
    "record_profile",
    "stored_profile",
    "version_profiles",
]

#: the custom dataset facet's key
PROFILE_FACET = "nbgovProfile"
#: its ``_schemaURL``: the JSON Schema shipped in the package, at its GitHub address
PROFILE_SCHEMA_URL = (
    "https://github.com/nbgov/nbgov/blob/main/nbgov/governance/schemas/NbgovProfileDatasetFacet.json"
    "#/$defs/NbgovProfileDatasetFacet"
)


class VersionNotFoundError(NbgovError):
    """A dataset has no such version (or the run wrote none of it).

    Attributes:
        node_id: the ``dataset:`` id; version: the version asked for (or None);
        known: the versions the store has, newest first.
    """

    def __init__(
        self, node_id: str, version: str | None, known: tuple[str, ...], *, message: str = ""
    ) -> None:
        listed = ", ".join(known[:5]) + (" …" if len(known) > 5 else "") if known else "none"
        super().__init__(message or f"{node_id} has no version {version} (versions, newest first: {listed})")
        self.node_id = node_id
        self.version = version
        self.known = known


class ProfileNotFoundError(NbgovError):
    """No profile is stored where one is needed; the message says how to record one.

    Attributes:
        node_id: the ``dataset:`` id; version: the version without a profile (None: any).
    """

    def __init__(self, node_id: str, version: str | None, message: str) -> None:
        super().__init__(message)
        self.node_id = node_id
        self.version = version


@dataclass(frozen=True)
class StoredProfile:
    """A profile read back from the store.

    Attributes:
        namespace, name: the dataset.
        version: the dataset version it describes (None: a dataset-level profile).
        run_id: the run that wrote that version (None for a dataset-level profile).
        created_at: when that version was first seen.
        profile: the profile itself.
    """

    namespace: str
    name: str
    version: str | None
    run_id: str | None
    created_at: str | None
    profile: DatasetProfile

    @property
    def node_id(self) -> str:
        return str(NodeId.dataset(self.namespace, self.name))

    def to_dict(self) -> dict[str, Any]:
        """Where the profile comes from (the profile itself: ``.profile.to_dict()``)."""
        return {
            "dataset": self.node_id,
            "version": self.version,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "rows": self.profile.rows,
            "columns": list(self.profile.names),
        }


# ----------------------------------------------------------------------------- writing
def profile_facet(
    data: pd.DataFrame | DatasetProfile, *, sample: int = 100_000, seed: int = 0
) -> dict[str, Any]:
    """The ``nbgovProfile`` facet for a frame or a profile (JSON-ready).

    Raises:
        DriftError: ``data`` is neither a DataFrame nor a profile.
    """
    prof = data if isinstance(data, DatasetProfile) else _profile_of(data, sample, seed)
    return {"_producer": PRODUCER, "_schemaURL": PROFILE_SCHEMA_URL, **without_raw_pii(prof).to_dict()}


def without_raw_pii(prof: DatasetProfile) -> DatasetProfile:
    """The profile with the category values of PII columns replaced by their hashes.

    A profile keeps up to 100 category values per column verbatim so that drift can name
    new and missing categories; for a column whose values are PII (a handful of e-mail
    addresses) that would put raw PII in the store. The kept values are classified with
    :func:`nbgov.governance.pii.classify_pii`, and where they hold PII they are stored as
    the same 64-bit hashes high-cardinality columns use for their top values: drift is
    still measured exactly, and new/missing categories are reported as hashes.
    """
    import pandas as pd

    from nbgov.governance.drift import _hash_keys
    from nbgov.governance.pii import classify_pii

    plain = {c.name: list(c.categories) for c in prof.columns if c.categories and not c.hashed}
    if not plain:
        return prof
    width = max(len(v) for v in plain.values())
    frame = pd.DataFrame({k: v + [None] * (width - len(v)) for k, v in plain.items()})
    flagged = {f.column for f in classify_pii(frame, min_likelihood="POSSIBLE").findings}
    if not flagged:
        return prof
    columns = tuple(
        # keys become hashes, the list stays complete: equal values give equal hashes, so
        # drift and new/missing categories still work (the latter reported as hashes)
        replace(c, categories=dict(zip(_hash_keys(list(c.categories)), c.categories.values())))
        if c.name in flagged and c.categories and not c.hashed else c
        for c in prof.columns
    )
    return replace(prof, columns=columns)


def _profile_of(data: Any, sample: int, seed: int) -> DatasetProfile:
    if isinstance(data, Mapping):
        return DatasetProfile.from_dict(data)
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise DriftError(f"expected a DataFrame or DatasetProfile, got {type(data).__name__}", field="data")
    return profile(data, sample=sample, seed=seed)


def record_profile(
    store: Store,
    namespace: str,
    name: str,
    data: pd.DataFrame | DatasetProfile,
    *,
    run_id: str | None = None,
    sample: int = 100_000,
    seed: int = 0,
    emit: bool = False,
) -> StoredProfile:
    """Store a reference profile of a dataset version.

    Args:
        store: the lineage store.
        namespace: the dataset's namespace.
        name: the dataset's name.
        data: the version's data (profiled here) or its :class:`DatasetProfile`.
        run_id: the run that wrote the version; by default the dataset's latest version.
            A dataset no run wrote gets a dataset-level profile (a DatasetEvent).
        sample: frames are profiled on at most this many rows.
        seed: seeds the sample.
        emit: also queue the event for the OpenLineage backend (off by default: a profile
            is nbgov's reference data, ~3 kB per column).

    Returns:
        The profile as stored, with the version it belongs to.

    Raises:
        NodeNotFoundError: ``run_id`` names no stored run.
        VersionNotFoundError: the run wrote no version of the dataset.
        DriftError: ``data`` cannot be profiled.
    """
    prof = data if isinstance(data, DatasetProfile) else _profile_of(data, sample, seed)
    payload_facet = profile_facet(prof)
    node = str(NodeId.dataset(namespace, name))
    try:
        versions = store.dataset_versions(namespace, name)
    except NodeNotFoundError:
        if run_id is not None:
            raise
        versions = []
    if run_id is not None:
        job = store.run(run_id)["jobId"]
        mine = [v for v in versions if v["createdByRun"] == run_id]
        if not mine:
            raise VersionNotFoundError(
                node,
                None,
                tuple(v["version"] for v in versions),
                message=f"run {run_id} wrote no version of {node}; record the profile after its events are stored",
            )
        target = mine[0]
    elif versions:
        target = versions[0]
        job = store.run(target["createdByRun"])["jobId"] if target["createdByRun"] else None
    else:
        target, job = None, None
    if target is None or job is None:
        event = to_dict(dataset_event(namespace, name, facets={PROFILE_FACET: payload_facet}))
        store.add_events([event], emit=emit)
        return StoredProfile(namespace, name, None, None, None, prof)
    version_facet = facet("version", {"datasetVersion": target["version"]})
    event = to_dict(
        run_event(
            "OTHER",
            job_namespace=job["namespace"],
            job_name=job["name"],
            run_id=target["createdByRun"],
            event_time=target["updatedAt"],
            outputs=[
                dataset(
                    namespace,
                    name,
                    facets={PROFILE_FACET: payload_facet, "version": version_facet},
                    kind="output",
                )
            ],
        )
    )
    store.add_events([event], emit=emit)
    return StoredProfile(
        namespace, name, target["version"], target["createdByRun"], target["createdAt"], prof
    )


# ----------------------------------------------------------------------------- reading
def _dataset_id(store: Store, dataset_id: str | NodeId) -> NodeId:
    _, parsed = store.resolve(dataset_id)
    if parsed.type is not NodeType.DATASET:
        raise NodeNotFoundError(f"{dataset_id} (a dataset id is needed: dataset:NAMESPACE:NAME)")
    return parsed


def _from_facets(facets: Mapping[str, Any], node: str, version: str | None) -> DatasetProfile | None:
    raw = facets.get(PROFILE_FACET)
    if not isinstance(raw, Mapping):
        return None
    try:
        return DatasetProfile.from_dict(raw)
    except DriftError as exc:
        raise ProfileNotFoundError(
            node, version, f"the profile stored for {node} version {version} is unreadable ({exc})"
        ) from exc


def _profiled(store: Store, namespace: str, name: str) -> tuple[list[StoredProfile], list[str]]:
    """Profiled versions (newest first) and every version id (newest first)."""
    versions = store.dataset_versions(namespace, name)
    node = str(NodeId.dataset(namespace, name))
    found = []
    for v in versions:
        prof = _from_facets(v["facets"], node, v["version"])
        if prof is not None:
            found.append(
                StoredProfile(namespace, name, v["version"], v["createdByRun"], v["createdAt"], prof)
            )
    return found, [v["version"] for v in versions]


def _how_to(node: str) -> str:
    return (
        f"record one with nbgov.governance.record_profile(store, NAMESPACE, NAME, df, run_id=RUN) when the"
        f" version is written (nbgov drift compares stored profiles of {node})"
    )


def stored_profile(store: Store, namespace: str, name: str, version: str | None = None) -> StoredProfile:
    """The profile stored for a dataset version.

    Args:
        store: the lineage store.
        namespace: the dataset's namespace.
        name: the dataset's name.
        version: a version id; by default the newest version that has a profile, else
            the dataset-level profile.

    Raises:
        NodeNotFoundError: the dataset is not in the store.
        VersionNotFoundError: the dataset has no such version.
        ProfileNotFoundError: no profile is stored for it.
    """
    node = str(NodeId.dataset(namespace, name))
    found, known = _profiled(store, namespace, name)
    if version is not None:
        if version not in known:
            raise VersionNotFoundError(node, version, tuple(known))
        for sp in found:
            if sp.version == version:
                return sp
        raise ProfileNotFoundError(
            node, version, f"no profile is stored for {node} version {version}; " + _how_to(node)
        )
    if found:
        return found[0]
    prof = _from_facets(store.dataset(namespace, name)["facets"], node, None)
    if prof is None:
        raise ProfileNotFoundError(node, None, f"no profile is stored for {node}; " + _how_to(node))
    return StoredProfile(namespace, name, None, None, None, prof)


def version_profiles(
    store: Store, dataset_id: str | NodeId, from_version: str | None = None, to_version: str | None = None
) -> tuple[StoredProfile, StoredProfile]:
    """The two stored profiles :func:`version_drift` compares.

    ``to_version`` defaults to the newest version with a stored profile, ``from_version``
    to the newest profiled version older than ``to_version``.

    Raises:
        NodeNotFoundError: the dataset is not in the store.
        VersionNotFoundError: a named version does not exist.
        ProfileNotFoundError: a named version has no profile, or fewer than two versions do.
    """
    parsed = _dataset_id(store, dataset_id)
    ns, name, node = parsed.namespace, parsed.name, str(parsed)
    found, known = _profiled(store, ns, name)
    by_version = {sp.version: sp for sp in found}

    def named(version: str) -> StoredProfile:
        if version not in known:
            raise VersionNotFoundError(node, version, tuple(known))
        if version not in by_version:
            raise ProfileNotFoundError(
                node, version, f"no profile is stored for {node} version {version}; " + _how_to(node)
            )
        return by_version[version]

    if to_version is not None:
        current = named(to_version)
    elif found:
        current = found[0]
    else:
        raise ProfileNotFoundError(
            node, None, f"no version of {node} has a stored profile ({len(known)} versions); " + _how_to(node)
        )
    if from_version is not None:
        return named(from_version), current
    older = known[known.index(current.version) + 1 :] if current.version in known else []
    for version in older:
        if version in by_version:
            return by_version[version], current
    raise ProfileNotFoundError(
        node,
        None,
        f"no profiled version of {node} older than {current.version} to compare with"
        f" ({len(found)} of {len(known)} versions have a profile); pass --from/--to, or " + _how_to(node),
    )


def version_drift(
    store: Store,
    dataset_id: str | NodeId,
    from_version: str | None = None,
    to_version: str | None = None,
) -> DriftReport:
    """Drift between two stored versions of a dataset, from their stored profiles.

    Args:
        store: the lineage store.
        dataset_id: ``dataset:NAMESPACE:NAME`` (or a :class:`NodeId`).
        from_version: the reference version (default: the profiled version before
            ``to_version``).
        to_version: the current version (default: the newest profiled version).

    Returns:
        ``compare(reference_profile, current_profile)``.

    Raises:
        NodeNotFoundError, VersionNotFoundError, ProfileNotFoundError: see
        :func:`version_profiles`.
    """
    reference, current = version_profiles(store, dataset_id, from_version, to_version)
    return compare(reference.profile, current.profile)
