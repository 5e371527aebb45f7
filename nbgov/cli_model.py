"""``nbgov model-card``, ``nbgov approve`` and ``nbgov check``: models and the policy gate from a shell.

Registered on the main group by :func:`register` (called from :mod:`nbgov.cli`). Same
conventions as every command: ``--store``, ``--format``, ``--help``; errors nbgov raises
become one ``Error: …`` line with exit status 1 (the group converts them). ``nbgov check``
exits 1 when a rule fails, after printing its report. See ``docs/cli.md`` and
``docs/models-and-policy.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nbgov.cli_common import format_option, opened_store, store_option

if TYPE_CHECKING:
    pass

F = TypeVar("F", bound=Callable[..., Any])


def _emit(text: str, output: str | None) -> None:
    if output in (None, "-"):
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        with open(output, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc


def register(group: click.Group) -> None:
    """Add ``model-card``, ``approve`` and ``check`` to ``group``."""

    @group.command("model-card", short_help="The model card of a model, from the store.")
    @click.argument("model")
    @format_option("md", "json", "html")
    @click.option("-o", "--output", metavar="FILE", default=None, help="Write to FILE instead of stdout.")
    @store_option()
    def model_card(model: str, fmt: str, output: str | None, store_loc: str | None) -> None:
        """Show the model card of MODEL: dataset:NS:NAME, NS:NAME or a unique model name.

        Sections: model details, data lineage (every upstream dataset to the sources, with
        versions, rows, columns, date ranges; features with their PII tags; the label),
        evaluation metrics, governance (owners, approval, next review). --format html
        writes a self-contained page.
        """
        from nbgov.governance.modelcard import model_card as build

        with opened_store(store_loc) as store:
            card = build(model, store=store)
        text = {"json": card.to_json, "md": card.to_markdown, "html": lambda: (
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Model card</title></head><body>"
            + card.to_html() + "</body></html>\n")}[fmt]()
        _emit(text, output)

    @group.command(short_help="Approve a model's current training run.")
    @click.argument("model")
    @click.option("--by", "by", required=True, metavar="NAME", help="Who approves, e.g. user:ana.")
    @click.option("--next-review", "next_review", metavar="YYYY-MM-DD", default=None,
                  help="Date by which the model must be reviewed again (in the future).")
    @click.option("--date", "date", metavar="YYYY-MM-DD", default=None, help="Approval date [default: today].")
    @click.option("--note", metavar="TEXT", default=None, help="Free text stored with the approval.")
    @click.option("--revoke", is_flag=True, help="Record a revocation instead.")
    @format_option("text", "json")
    @store_option()
    def approve(model: str, by: str, next_review: str | None, date: str | None, note: str | None, revoke: bool,
                fmt: str, store_loc: str | None) -> None:
        """Record an approval of MODEL (stored as the nbgov_approval facet on a DatasetEvent,
        queued for the configured backend). A refit makes the approval stale."""
        from nbgov.governance.modelcard import approve as record

        if not revoke and next_review is None:
            raise click.UsageError("--next-review is required (unless --revoke)")
        with opened_store(store_loc) as store:
            card = record(model, by=by, next_review=next_review, date=date, note=note, revoke=revoke, store=store)
        gov = card.to_dict()["governance"]
        if fmt == "json":
            import json

            click.echo(json.dumps({"model": card.node, **gov}, indent=2, ensure_ascii=False))
            return
        click.echo(f"{card.node}: {gov['approval_status']} by {gov['approved_by']} on {gov['approval_date']}"
                   + (f", next review {gov['next_review']}" if gov["next_review"] else ""))

    @group.command(short_help="Evaluate the governance policy; exit 1 when a rule fails.")
    @click.option("--policy", "policy", metavar="FILE", default=None,
                  help="Policy YAML [default: $NBGOV_POLICY, else the built-in rules].")
    @click.option("--notebook", "notebook", metavar="NB.ipynb", default=None,
                  help="Only the jobs of this notebook (its job name or .ipynb path).")
    @click.option("--rule", "rules", metavar="NAME", multiple=True, help="Only this rule (repeatable).")
    @format_option("text", "json", "junit")
    @click.option("-o", "--output", metavar="FILE", default=None, help="Write the report to FILE as well.")
    @store_option()
    def check(policy: str | None, notebook: str | None, rules: tuple[str, ...], fmt: str, output: str | None,
              store_loc: str | None) -> None:
        """Evaluate the policy rules against the store and print a report.

        Exit status 0 when every enabled rule passes, 1 when any fails (the report names
        the rule, the offending nodes and, for PII flows, the path of columns), 1 with a
        one-line error for an invalid policy (file:line).
        """
        from nbgov.governance.policy import RULES, load_policy
        from nbgov.governance.policy import check as run_check

        unknown = [r for r in rules if r not in RULES]
        if unknown:
            raise click.BadParameter(f"unknown rule {unknown[0]!r} (rules: {', '.join(RULES)})", param_hint="--rule")
        pol = load_policy(policy)
        with opened_store(store_loc) as store:
            report = run_check(store, pol, notebook=notebook, rules=list(rules) or None)
        text = {"text": report.to_text, "json": report.to_json, "junit": report.to_junit}[fmt]()
        click.echo(text, nl=not text.endswith("\n"))
        if output is not None:
            _emit(text, output)
        if not report.passed:
            raise SystemExit(1)
