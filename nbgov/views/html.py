"""HTML and SVG building blocks shared by the views: escaping, tables, badges, inline
SVG sparklines, and SVG from a system Graphviz when one happens to be installed.

Every value placed in markup goes through :func:`esc`; nothing here loads a script, a
stylesheet, a font or an image from anywhere (no ``url(``, no ``src=``).
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import graphviz
from graphviz.backend import dot_command, execute

__all__ = [
    "CSS",
    "badge",
    "esc",
    "graph_table",
    "histogram_svg",
    "rate_bars_svg",
    "svg_from_dot",
    "table",
]

log = logging.getLogger(__name__)

#: seconds a system ``dot`` may take before the views fall back to a table
DOT_TIMEOUT = 10.0

CSS = (
    ".nbgov-view{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;color:#1f2937}"
    ".nbgov-view table{border-collapse:collapse;margin:4px 0 8px}"
    # table.nbgov-table: more specific than JupyterLab's right-aligned output tables
    # (``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``)
    ".nbgov-view table.nbgov-table th,.nbgov-view table.nbgov-table td{border-bottom:1px solid #e5e7eb;"
    "padding:3px 8px;text-align:left;vertical-align:top}"
    ".nbgov-view th{background:#f3f4f6;font-weight:600}"
    ".nbgov-view code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}"
    ".nbgov-view .nbgov-notice{border-left:4px solid #b45309;background:#fffbeb;padding:4px 8px;margin:4px 0}"
    ".nbgov-view .nbgov-muted{color:#4b5563}"
    ".nbgov-view svg{max-width:100%;height:auto}"
    ".nbgov-badge{display:inline-block;padding:0 6px;border-radius:8px;font-weight:600;border:1px solid}"
)

#: severity / state / likelihood word -> (symbol, colour); the word itself is always shown too
_BADGES = {
    "ERROR": ("✖", "#b91c1c"), "WARNING": ("▲", "#b45309"), "INFO": ("●", "#4b5563"),
    "FAILED": ("✖", "#b91c1c"), "ABORTED": ("▲", "#b45309"), "RUNNING": ("▶", "#1d4ed8"),
    "COMPLETED": ("✔", "#15803d"), "START": ("▶", "#1d4ed8"), "OK": ("✔", "#15803d"),
    "DRIFT": ("▲", "#b45309"), "PII": ("⚠", "#b91c1c"),
    "VERY_LIKELY": ("●", "#b91c1c"), "LIKELY": ("●", "#c2410c"), "POSSIBLE": ("●", "#a16207"),
    "UNLIKELY": ("○", "#4b5563"), "VERY_UNLIKELY": ("○", "#6b7280"),
}


def esc(value: Any) -> str:
    """``value`` as HTML text (``None`` as ``-``), quotes escaped too."""
    return html.escape("-" if value is None else str(value), quote=True)


def badge(word: str | None) -> str:
    """A word with its symbol and colour, e.g. ``✖ FAILED`` in red: meaning never by colour alone."""
    if not word:
        return "-"
    symbol, colour = _BADGES.get(str(word).upper(), ("●", "#4b5563"))
    return (f'<span class="nbgov-badge" style="color:{colour};border-color:{colour}">'
            f"{symbol} {esc(word)}</span>")


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, caption: str | None = None) -> str:
    """An HTML table; ``rows`` hold already-escaped HTML, headers are escaped here."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cap = f'<caption style="text-align:left;font-weight:600">{esc(caption)}</caption>' if caption else ""
    return f'<table class="nbgov-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# ---------------------------------------------------------------------- Graphviz
def svg_from_dot(dot: str, *, timeout: float = DOT_TIMEOUT) -> str | None:
    """SVG from a system Graphviz ``dot`` (without its XML prolog), or None when there is
    no ``dot`` binary, it fails or it takes longer than ``timeout`` seconds."""
    cmd = dot_command.command("dot", "svg")
    try:
        proc = execute.run_check(cmd, input=dot, encoding="utf-8", capture_output=True, timeout=timeout)
    except graphviz.ExecutableNotFound:
        return None
    except Exception:
        log.debug("dot failed", exc_info=True)
        return None
    out = proc.stdout or ""
    start = out.find("<svg")
    return out[start:] if start >= 0 else None


def graph_table(nodes: Sequence[tuple[str, str, str]], edges: Sequence[tuple[str, str]]) -> str:
    """The graph as two tables: nodes ``(id, kind, label)`` and edges ``(from, to)``."""
    node_rows = ([f"<code>{esc(i)}</code>", esc(k), esc(lbl).replace("\n", "<br>")] for i, k, lbl in nodes)
    edge_rows = ([f"<code>{esc(a)}</code>", f"<code>{esc(b)}</code>"] for a, b in edges)
    return (table(["node", "kind", "label"], node_rows, caption=f"{len(nodes)} nodes")
            + table(["from", "to"], edge_rows, caption=f"{len(edges)} edges"))


# --------------------------------------------------------------------- sparklines
def _fmt(x: float) -> str:
    return f"{x:.4g}"


def histogram_svg(
    reference: Sequence[float] | None,
    current: Sequence[float] | None,
    *,
    bins: int = 16,
    width: int = 120,
    height: int = 28,
    label: str = "",
) -> str:
    """Two overlaid histograms (reference grey outline, current filled) of quantile sketches
    or raw values, as a small self-contained SVG with a ``<title>`` for screen readers."""
    ref = [float(x) for x in reference or () if x is not None and math.isfinite(float(x))]
    cur = [float(x) for x in current or () if x is not None and math.isfinite(float(x))]
    both = ref + cur
    if not both:
        return ""
    lo, hi = min(both), max(both)
    span = (hi - lo) or 1.0

    def counts(xs: list[float]) -> list[float]:
        c = [0] * bins
        for x in xs:
            c[min(int((x - lo) / span * bins), bins - 1)] += 1
        total = sum(c) or 1
        return [v / total for v in c]

    rc, cc = counts(ref), counts(cur)
    top = max(rc + cc) or 1.0
    w = width / bins
    bars = []
    for i, v in enumerate(cc):
        h = v / top * (height - 2)
        bars.append(f'<rect x="{i * w:.1f}" y="{height - h:.1f}" width="{max(w - 1, 1):.1f}" '
                    f'height="{h:.1f}" fill="#60a5fa"/>')
    points = " ".join(f"{i * w:.1f},{height - v / top * (height - 2):.1f} {(i + 1) * w:.1f},"
                      f"{height - v / top * (height - 2):.1f}" for i, v in enumerate(rc))
    line = f'<polyline points="{points}" fill="none" stroke="#374151" stroke-width="1"/>' if ref else ""
    drawn = ", ".join(part for part, present in (("bars current", cur), ("line reference", ref)) if present)
    title = esc(f"{label} distribution {_fmt(lo)} to {_fmt(hi)}: {drawn}".strip())
    return (f'<svg role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{title}</title>{"".join(bars)}{line}</svg>')


def categories_svg(reference: Mapping[str, int] | None, current: Mapping[str, int] | None, *,
                   top: int = 8, width: int = 120, height: int = 28, label: str = "") -> str:
    """Frequencies of the most common categories, reference (outline) and current (filled)."""
    ref, cur = dict(reference or {}), dict(current or {})
    # ties broken by name: a set's order changes with the hash seed, and the drawing must not
    keys = sorted(set(ref) | set(cur), key=lambda k: (-(cur.get(k, 0) + ref.get(k, 0)), k))[:top]
    if not keys:
        return ""
    rt, ct = sum(ref.values()) or 1, sum(cur.values()) or 1
    share = [(ref.get(k, 0) / rt, cur.get(k, 0) / ct) for k in keys]
    peak = max(max(a, b) for a, b in share) or 1.0
    w = width / len(keys)
    parts = []
    for i, (a, b) in enumerate(share):
        hb = b / peak * (height - 2)
        ha = a / peak * (height - 2)
        parts.append(f'<rect x="{i * w + 1:.1f}" y="{height - hb:.1f}" width="{max(w - 2, 1):.1f}" '
                     f'height="{hb:.1f}" fill="#60a5fa"/>')
        parts.append(f'<rect x="{i * w + 1:.1f}" y="{height - ha:.1f}" width="{max(w - 2, 1):.1f}" '
                     f'height="{ha:.1f}" fill="none" stroke="#374151" stroke-width="1"/>')
    title = esc(f"{label} top categories: " + ", ".join(keys))
    return (f'<svg role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{title}</title>{"".join(parts)}</svg>')


def rate_bars_svg(before: float, after: float, *, width: int = 80, height: int = 14) -> str:
    """Two thin bars: a rate before (grey) and after (blue), 0–100 %."""
    b, a = max(0.0, min(1.0, before)), max(0.0, min(1.0, after))
    title = esc(f"null rate {before:.1%} before, {after:.1%} after")
    return (f'<svg role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{title}</title>'
            f'<rect x="0" y="1" width="{width}" height="5" fill="#e5e7eb"/>'
            f'<rect x="0" y="1" width="{b * width:.1f}" height="5" fill="#6b7280"/>'
            f'<rect x="0" y="8" width="{width}" height="5" fill="#e5e7eb"/>'
            f'<rect x="0" y="8" width="{a * width:.1f}" height="5" fill="#2563eb"/></svg>')
