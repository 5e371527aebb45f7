"""``nbgov impact``, ``nbgov drift`` and ``nbgov owner``: governance questions from a shell.

Registered on the main group by :func:`register` (called from :mod:`nbgov.cli`). Same
conventions as every command: ``--store``, ``--format json``, ``--help``; errors nbgov
raises become one ``Error: …`` line with exit status 1 (the group converts them). See
``docs/cli.md`` for each command's JSON keys.

The shared ``--store`` / ``--format`` options are declared here again rather than
imported from :mod:`nbgov.cli`: the layering test allows a face module to import only
from lower layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nbgov.cli_common import echo_json, format_option, opened_store, store_option

if TYPE_CHECKING:
    pass

F = TypeVar("F", bound=Callable[..., Any])


def _dataset_arg(text: str) -> str:
    if text.startswith(("job:", "datasetField:")):
        raise click.BadParameter(
            "expected a dataset (dataset:NAMESPACE:NAME or NAMESPACE:NAME)", param_hint="DATASET"
        )
    return text if text.startswith("dataset:") else f"dataset:{text}"


def register(group: click.Group) -> None:
    """Add ``impact``, ``drift`` and ``owner`` to ``group``."""

    @group.command(short_help="What a change to a dataset, job or column reaches, and whom to tell.")
    @click.argument("node_id")
    @format_option()
    @store_option()
    def impact(node_id: str, fmt: str, store_loc: str | None) -> None:
        """Show everything downstream of NODE_ID, at any depth, with the owners to notify.

        NODE_ID is dataset:NS:NAME, job:NS:NAME or datasetField:NS:NAME:FIELD. Datasets are
        grouped by kind (table, file, model, report, other); each comes with the shortest
        path from NODE_ID. For a column, only the columns derived from it count (directly,
        or indirectly through filters, joins, grouping), and the datasets and jobs that
        carry them.
        """
        from nbgov.governance.impact import impact as run_impact

        with opened_store(store_loc) as store:
            report = run_impact(store, node_id)
        if fmt == "json":
            echo_json(report.to_dict())
        else:
            click.echo(report.to_text())

    @group.command(short_help="Data drift between two stored versions of a dataset.")
    @click.argument("dataset")
    @click.option(
        "--from",
        "from_version",
        metavar="VERSION",
        help="Reference version [default: the profiled version before --to].",
    )
    @click.option(
        "--to",
        "to_version",
        metavar="VERSION",
        help="Current version [default: the newest version with a stored profile].",
    )
    @format_option()
    @store_option()
    def drift(
        dataset: str, from_version: str | None, to_version: str | None, fmt: str, store_loc: str | None
    ) -> None:
        """Compare two stored versions of DATASET (dataset:NS:NAME) from their stored profiles.

        Exit status 0 whether or not drift is found (read `summary.has_drift` in the JSON);
        1 for an unknown dataset or version, or a version without a stored profile.
        """
        from nbgov.governance.drift import compare
        from nbgov.governance.profiles import version_profiles

        node = _dataset_arg(dataset)
        with opened_store(store_loc) as store:
            reference, current = version_profiles(store, node, from_version, to_version)
        report = compare(reference.profile, current.profile)
        if fmt == "json":
            side = ("version", "run_id", "created_at")
            echo_json(
                {
                    "dataset": reference.node_id,
                    "reference": {k: reference.to_dict()[k] for k in side},
                    "current": {k: current.to_dict()[k] for k in side},
                    **report.to_dict(),
                }
            )
            return
        click.echo(
            f"{reference.node_id}: version {reference.version} ({reference.created_at})"
            f" -> {current.version} ({current.created_at})"
        )
        click.echo(repr(report))
        if not report.has_drift and not report.schema_changes:
            click.echo("no drift")

    @group.command(short_help="Show or set the owners of a job or dataset.")
    @click.argument("node_id")
    @click.option(
        "--add",
        "add",
        metavar="OWNER",
        multiple=True,
        help="Add an owner, written team:NAME or user:NAME (repeatable).",
    )
    @click.option("--remove", "remove", metavar="OWNER", multiple=True, help="Remove an owner (repeatable).")
    @click.option("--description", metavar="TEXT", help="Set the description (documentation facet).")
    @format_option()
    @store_option()
    def owner(
        node_id: str,
        add: tuple[str, ...],
        remove: tuple[str, ...],
        description: str | None,
        fmt: str,
        store_loc: str | None,
    ) -> None:
        """Show the owners of NODE_ID (job:NS:NAME or dataset:NS:NAME), or change them.

        With --add / --remove / --description, writes the ownership and documentation
        facets on an OpenLineage JobEvent or DatasetEvent (stored, and queued for the
        configured backend), then shows the result.
        """
        from nbgov.governance.ownership import owners, set_owners

        with opened_store(store_loc) as store:
            current = owners(store, node_id)
            if add or remove or description is not None:
                wanted = [o for o in (*current.owners, *add) if o not in remove]
                current = set_owners(store, node_id, wanted, description=description)
        if fmt == "json":
            echo_json(current.to_dict())
            return
        click.echo(current.node)
        click.echo(f"  owners: {', '.join(current.owners) if current.owners else '(none)'}")
        if current.description:
            click.echo(f"  description: {current.description}")
