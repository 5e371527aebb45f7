"""The guard around every nbgov step that runs in the user's kernel.

Only the user's own code may fail the user's cell. Each capture, profile, store and
emit step runs inside :meth:`Guard.running` (or is reported with :meth:`Guard.report`):
an ``Exception`` is logged at DEBUG with its traceback, counted per stage for
``%nbgov status``, and shown as ONE short line per ``(stage, error type)`` — never as a
traceback (IPython prints a full one when an event callback raises).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Guard"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def _stderr(message: str) -> None:
    try:
        print(message, file=sys.stderr)
    except Exception:  # noqa: BLE001, S110 - a closed stderr must not fail the cell either
        pass


class _Running:
    """:meth:`Guard.running`'s context manager (a class: it wraps every after-cell step)."""

    __slots__ = ("_guard", "_stage")

    def __init__(self, guard: Guard, stage: str) -> None:
        self._guard = guard
        self._stage = stage

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if kind is None or not issubclass(kind, Exception):
            return False  # no error, or a BaseException (KeyboardInterrupt, SystemExit): not ours to stop
        if exc is not None:  # always, from a `with` statement
            self._guard.report(self._stage, exc)
        return True


class Guard:
    """Counts and shows internal failures.

    Args:
        notify: shows a one-line notice; default prints to ``sys.stderr``.

    Attributes:
        counts: failures per stage (``"store"``, ``"emit"``, ``"capture:pandas.read_csv"`` …).
    """

    def __init__(self, notify: Callable[[str], None] | None = None) -> None:
        self.counts: Counter[str] = Counter()
        self._shown: set[tuple[str, str]] = set()
        self._notify = notify or _stderr

    def report(self, stage: str, exc: BaseException) -> None:
        """Record one failure of ``stage``. Never raises."""
        try:
            log.debug("nbgov %s failed", stage, exc_info=exc)
            self.counts[stage] += 1
            key = (stage, type(exc).__name__)
            if key in self._shown:
                return
            self._shown.add(key)
            text = " ".join(str(exc).split())[:160]
            self._notify(
                f"nbgov: {stage} failed ({type(exc).__name__}{': ' + text if text else ''}); "
                "the cell ran normally, its lineage may be incomplete (see %nbgov status)"
            )
        except Exception:
            log.debug("nbgov guard failed", exc_info=True)

    def running(self, stage: str) -> _Running:
        """A context manager: run the ``with`` body; an ``Exception`` in it is reported, not raised."""
        return _Running(self, stage)

    def guarded(self, stage: str) -> Callable[[F], F]:
        """Decorator form of :meth:`running`; the function returns ``None`` on failure."""

        def wrap(fn: F) -> F:
            @functools.wraps(fn)
            def inner(*args: Any, **kwargs: Any) -> Any:
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:  # noqa: BLE001 - reported, never raised into the cell
                    self.report(stage, exc)
                    return None

            return inner  # type: ignore[return-value]

        return wrap

    @property
    def total(self) -> int:
        return sum(self.counts.values())
