"""``nbgov scan`` and ``nbgov tags``: batch PII scans of data files, and the tags in effect.

Registered on the main group by :func:`register` (called from :mod:`nbgov.cli`). Same
conventions as every command: ``--store``, ``--format json``, ``--help``; errors nbgov
raises become one ``Error: …`` line (exit 1) — the group converts them.

The shared ``--store`` / ``--format`` options are declared here again rather than
imported from :mod:`nbgov.cli`: the layering test lets a face import only lower layers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nbgov.cli_common import echo_json, format_option, opened_store, store_option

if TYPE_CHECKING:
    from nbgov.governance.scan import FileScan

F = TypeVar("F", bound=Callable[..., Any])


class _Progress:
    """A progress bar on stderr: tqdm when installed, else a counter line."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None

    def __call__(self, result: FileScan, index: int, total: int) -> None:
        if result.error:
            self._write(f"{result.error}")
        if not self.enabled:
            return
        if self._bar is None:
            try:
                from tqdm import tqdm
            except ImportError:
                self._bar = False
            else:
                self._bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True)
        if self._bar:
            self._bar.update(1)
            self._bar.set_postfix_str(result.path[-40:], refresh=False)
        else:
            click.echo(f"\rscanned {index + 1}/{total}", err=True, nl=index + 1 == total)

    def _write(self, line: str) -> None:
        if self._bar:
            self._bar.write(line, file=sys.stderr)
        else:
            click.echo(line, err=True)

    def close(self) -> None:
        if self._bar:
            self._bar.close()


def register(group: click.Group) -> None:
    """Add ``scan`` and ``tags`` to ``group`` (the ``nbgov`` command group)."""
    from nbgov.store import DEFAULT_DEPTH

    @group.command(short_help="Scan CSV/Parquet/JSON files for PII and tag them.")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
    @click.option("--include", "include", multiple=True, metavar="PREFIX",
                  help="Only files whose path relative to the folder given starts with PREFIX (repeatable).")
    @click.option("--sampling-percentage", type=click.FloatRange(min=0, max=100, min_open=True), default=100.0,
                  show_default=True, help="Scan this percentage of the files found (chosen by a seeded hash).")
    @click.option("--max-rows", type=click.IntRange(min=2), default=10_000, show_default=True,
                  help="Rows read per file at most (first rows plus seeded blocks of the rest).")
    @click.option("--custom", "custom_file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
                  help="YAML/JSON list of custom identifiers {name, regex, keywords, max_distance, ignore_words}.")
    @click.option("--taxonomy", "taxonomy_file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
                  help="Policy-tag taxonomy YAML [default: $NBGOV_TAXONOMY, else PII ⊃ PII.Sensitive].")
    @click.option("--min-likelihood", type=click.Choice(["VERY_UNLIKELY", "UNLIKELY", "POSSIBLE", "LIKELY",
                                                         "VERY_LIKELY"], case_sensitive=False),
                  default="LIKELY", show_default=True, help="Report findings at or above this level.")
    @click.option("--seed", type=int, default=0, show_default=True, help="Changes which files and rows are sampled.")
    @click.option("--dry-run", is_flag=True, help="Classify and report only; record nothing in the store.")
    @click.option("--emit/--no-emit", default=False, show_default=True,
                  help="Also queue the recorded tag events for the configured OpenLineage backend.")
    @click.option("--progress/--no-progress", default=None,
                  help="Show a progress bar on stderr [default: when stderr is a terminal and format is text].")
    @store_option()
    @format_option()
    def scan(paths: tuple[str, ...], include: tuple[str, ...], sampling_percentage: float, max_rows: int,
             custom_file: str | None, taxonomy_file: str | None, min_likelihood: str, seed: int, dry_run: bool,
             emit: bool, progress: bool | None, store_loc: str | None, fmt: str) -> None:
        """Scan PATHS (files and folders, recursively) for PII, Macie-style, and record tags.

        Each CSV/TSV, Parquet, JSON or JSON Lines file is read as a bounded, seeded
        sample, classified, and its findings recorded as column tags of the dataset
        `file:<absolute path>` in the store (unless --dry-run). An unreadable file is
        reported on stderr as `PATH[:LINE]: what` and the scan goes on.

        Exit status: 0 when every file was read, 1 when some could not be (the others
        are still scanned and recorded), 2 for usage errors.
        """
        from nbgov.governance.scan import load_custom_identifiers
        from nbgov.governance.scan import scan_files as run_scan
        from nbgov.governance.taxonomy import load_taxonomy
        from nbgov.render import table

        custom = load_custom_identifiers(custom_file) if custom_file else None
        taxonomy = load_taxonomy(taxonomy_file)
        show = progress if progress is not None else (fmt == "text" and sys.stderr.isatty())
        bar = _Progress(bool(show) and fmt == "text")
        options: dict[str, Any] = {
            "include": include, "sampling_percentage": sampling_percentage, "max_rows": max_rows,
            "custom": custom, "min_likelihood": min_likelihood, "seed": seed, "taxonomy": taxonomy,
            "emit": emit, "on_file": bar,
        }
        try:
            if dry_run:
                report = run_scan(paths, **options)
                where = None
            else:
                with opened_store(store_loc) as store:
                    report = run_scan(paths, store=store, **options)
                    where = store.url
        finally:
            bar.close()
        if fmt == "json":
            echo_json({**report.to_dict(), "store": where})
        else:
            click.echo(table(
                ["FILE", "FORMAT", "ROWS SAMPLED", "PII COLUMNS", "INFO TYPES"],
                [(f.path, f.format, f.rows_sampled if f.ok else "failed", list(f.pii_columns), list(f.info_types))
                 for f in report.files],
            ))
            summary = (f"{len(report.files)} files scanned: {len(report.with_pii)} with PII,"
                       f" {len(report.failed)} failed")
            if report.skipped:
                summary += f", {report.skipped} left out by --sampling-percentage"
            click.echo(summary + (f"; tags recorded in {where}" if where else "; nothing recorded (--dry-run)"))
        if not report.ok:
            sys.exit(1)

    @group.command(short_help="Show the tags in effect on a column or dataset (own and inherited).")
    @click.argument("node_id", required=False)
    @click.option("--namespace", help="Without NODE_ID: only columns of datasets in this namespace.")
    @click.option("--depth", type=click.IntRange(min=0), default=DEFAULT_DEPTH, show_default=True,
                  help="How many column-lineage steps a tag may travel.")
    @store_option()
    @format_option()
    def tags(node_id: str | None, namespace: str | None, depth: int, store_loc: str | None, fmt: str) -> None:
        """Show the tags in effect on NODE_ID (a datasetField: or dataset: id), or, without
        NODE_ID, every column carrying a PII tag (pii, policy_tag), own or inherited through
        DIRECT column lineage (source LINEAGE, with the path it came along).
        """
        from nbgov.governance.tags import effective_tags, tagged_columns
        from nbgov.render import table

        with opened_store(store_loc) as store:
            if node_id:
                found = [t.to_dict() for t in effective_tags(store, node_id, depth=depth)]
            else:
                found = [t.to_dict() for c in tagged_columns(store, namespace, depth=depth) for t in c.tags]
        if fmt == "json":
            echo_json({"totalCount": len(found), "tags": found})
            return
        click.echo(table(
            ["NODE", "KEY", "VALUE", "SOURCE", "FROM"],
            [(t["node"], t["key"], t["value"], t["source"],
              " → ".join(t["path"]) if t["source"] == "LINEAGE" else None) for t in found],
        ))
