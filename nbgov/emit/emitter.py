"""Durable delivery of stored events to the OpenLineage backend, off the caller's path.

Every event goes to the store first (``store.add_events(events, emit=True)``), which
also puts it in the store's outbox in the same transaction. Delivery then drains the
outbox with the client's transport:

- :func:`deliver_pending` — one pass: lease due events oldest first, send each, mark
  each delivered right after its send succeeds. The first failure marks that event
  failed with an exponential backoff and ends the pass (the remaining leases are
  given back without counting an attempt), so a backend that is down costs one
  attempt per pass, not one per event.
- :class:`Emitter` — a daemon thread with its own store connection that runs passes
  when woken (after new events were stored), on a timer (for retries), and on
  :meth:`Emitter.flush`; :meth:`Emitter.flush` and :meth:`Emitter.close` wait a
  bounded time and never raise.

Guarantees. An event is never lost: it leaves the outbox only when the transport
reported success. An event is not sent twice: a send happens only under a lease
(``claim_outbox`` takes it in a write transaction, so two processes never lease the
same event), and success is recorded right after the send. One window remains: if
the process dies between a successful send and that commit (a few milliseconds), or
a single send outlasts the lease (``lease_seconds``, default 300 s, far above the
HTTP transport's timeout and retries), the event is sent again later. OpenLineage
backends such as Marquez treat a repeated event idempotently, which makes this
at-least-once window harmless in practice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbgov.emit.events import from_dict
from nbgov.model.redact import redact_url

if TYPE_CHECKING:
    from openlineage.client.transport import Transport

    from nbgov.store import Store

__all__ = ["DeliveryResult", "Emitter", "deliver_pending", "retry_time"]

log = logging.getLogger(__name__)

#: seconds a send may take before another sender may lease the same event
LEASE_SECONDS = 300.0
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 600.0
_USE_CONFIGURED = object()


@dataclass(frozen=True)
class DeliveryResult:
    """What a delivery pass (or a flush) did.

    Attributes:
        delivered: events the backend accepted.
        failed: failed attempts (at most one per pass).
        pending: events still in the outbox afterwards (-1 when unknown).
        last_error: the last failure's message, if any.
    """

    delivered: int = 0
    failed: int = 0
    pending: int = 0
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "failed": self.failed, "pending": self.pending,
                "last_error": self.last_error}


def retry_time(attempts: int, *, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_MAX_S) -> str:
    """When to try again after ``attempts`` earlier failed attempts, in the store's format."""
    delay = min(cap, base * (2 ** min(max(attempts, 0), 30)))
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _describe_error(exc: BaseException) -> str:
    text = redact_url(" ".join(str(exc).split())) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:1000]


def send(transport: Transport, payload: str) -> None:
    """Send one stored event with ``transport``; raise unless the backend accepted it.

    The stored JSON is rebuilt into the client's event class (transports such as
    Kafka's look at its type); an HTTP response that is not 2xx is a failure whether
    the transport raised or returned it.
    """
    data = json.loads(payload)
    try:
        event: Any = from_dict(data)
    except Exception:  # fields the classes cannot carry: send the mapping, Serde handles both
        log.debug("sending event as a mapping", exc_info=True)
        event = data
    result = transport.emit(event)
    status = getattr(result, "status_code", None)
    if isinstance(status, int) and not 200 <= status < 300:
        raise RuntimeError(f"HTTP {status} from {getattr(result, 'url', 'backend')}")


def deliver_pending(
    store: Store,
    transport: Transport,
    *,
    owner: str,
    limit: int = 100,
    deadline: float | None = None,
    lease_seconds: float = LEASE_SECONDS,
    backoff_base: float = BACKOFF_BASE_S,
    backoff_max: float = BACKOFF_MAX_S,
    stop: Callable[[], bool] | None = None,
) -> DeliveryResult:
    """One delivery pass over the outbox.

    Args:
        store: the store whose outbox to drain (used from this thread only).
        transport: the client's transport (see :func:`nbgov.emit.transport.configured_transport`).
        owner: a name unique to this sender, recorded on its leases.
        limit: most events to lease in this pass.
        deadline: a ``time.monotonic()`` value after which no new send starts; the
            leases not yet used are given back.
        lease_seconds: how long other senders must keep off the leased events.
        backoff_base: the first retry delay, doubled per failed attempt.
        backoff_max: the longest retry delay.
        stop: checked before each send like ``deadline``; true ends the pass.

    Returns:
        Counts of this pass and the events still pending.

    Raises:
        StoreError: the store itself failed (a failed send is not an error).
    """
    def halted() -> bool:
        return (deadline is not None and time.monotonic() >= deadline) or (stop is not None and stop())

    delivered = failed = 0
    last_error = None
    items = [] if halted() else store.claim_outbox(owner, limit=limit, lease_seconds=lease_seconds)
    lease_ends = time.monotonic() + lease_seconds / 2  # keep a margin for the send in flight
    for index, item in enumerate(items):
        if halted() or time.monotonic() >= lease_ends:
            store.release([i.event_id for i in items[index:]], owner)
            break
        try:
            send(transport, item.payload)
        except Exception as exc:
            last_error = _describe_error(exc)
            log.debug("delivery of event %s failed", item.event_id, exc_info=True)
            store.mark_failed([item.event_id], owner, last_error,
                              retry_time(item.attempts, base=backoff_base, cap=backoff_max))
            store.release([i.event_id for i in items[index + 1:]], owner)
            failed += 1
            break
        store.mark_delivered([item.event_id], owner)
        delivered += 1
    pending = int(store.outbox_stats().get("pending", 0))
    return DeliveryResult(delivered, failed, pending, last_error)


def _new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Emitter:
    """A background sender draining the outbox of one store.

    Args:
        store_factory: opens a new connection to the store; called in the worker
            thread (SQLite connections must not be shared between threads).
        transport: the transport to send with; by default the one the standard
            OpenLineage configuration names, resolved in the worker. ``None`` means
            nothing is sent and events wait in the outbox.
        poll_interval: seconds between passes when nobody wakes the worker (retries).
        batch_size: events leased per pass.
        lease_seconds, backoff_base, backoff_max: see :func:`deliver_pending`.
        owner: the lease owner name; unique per emitter by default.

    Nothing an emitter does raises into the caller: errors are logged at DEBUG and
    counted (:attr:`failed`, :attr:`errors`, :attr:`last_error`).
    """

    def __init__(
        self,
        store_factory: Callable[[], Store],
        transport: Transport | None | object = _USE_CONFIGURED,
        *,
        poll_interval: float = 30.0,
        batch_size: int = 100,
        lease_seconds: float = LEASE_SECONDS,
        backoff_base: float = BACKOFF_BASE_S,
        backoff_max: float = BACKOFF_MAX_S,
        owner: str | None = None,
    ) -> None:
        self._store_factory = store_factory
        self._transport_arg = transport
        self._transport: Transport | None = None
        self._owns_transport = transport is _USE_CONFIGURED
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.owner = owner or _new_owner()
        #: events delivered, failed attempts, other errors (store, configuration)
        self.delivered = 0
        self.failed = 0
        self.errors = 0
        self.last_error: str | None = None
        #: events pending after the last pass (-1 before the first)
        self.pending = -1
        self._cond = threading.Condition()
        self._wake = False
        self._stopping = False
        self._requested = 0  # flush generations asked for
        self._served = 0  # flush generations done
        self._close_deadline: float | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Emitter {state} delivered={self.delivered} failed={self.failed} pending={self.pending}>"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> dict[str, Any]:
        """Counters for ``%nbgov status`` and ``nbgov doctor``."""
        return {"running": self.running, "delivered": self.delivered, "failed": self.failed,
                "errors": self.errors, "pending": self.pending, "last_error": self.last_error}

    # --------------------------------------------------------------- caller side
    def start(self) -> Emitter:
        """Start the worker; it first picks up events left pending by earlier processes."""
        with self._cond:
            if self._thread is not None or self._stopping:
                return self
            self._wake = True
            self._thread = threading.Thread(target=self._run, name=f"nbgov-emitter-{self.owner}", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        """Ask for a pass now (call after storing events with ``emit=True``)."""
        with self._cond:
            self._wake = True
            self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> DeliveryResult:
        """Make every pending event due and wait, at most ``timeout`` s, for a full pass.

        Returns:
            What happened while waiting: events delivered, failed attempts, the events
            still pending as last seen by the worker, the last error. Events not
            delivered in time stay in the outbox.
        """
        deadline = time.monotonic() + max(timeout, 0.0)
        delivered, failed = self.delivered, self.failed
        try:
            if not self.running:
                self.start()
            with self._cond:
                self._requested += 1
                wanted = self._requested
                self._wake = True
                self._cond.notify_all()
                while self._served < wanted and self.running:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
        except Exception as exc:  # noqa: BLE001 - pragma: no cover - defensive: flush never raises
            self._count_error(exc)
        return DeliveryResult(self.delivered - delivered, self.failed - failed, self.pending, self.last_error)

    def close(self, timeout: float = 5.0) -> bool:
        """Stop the worker after a last pass, waiting at most ``timeout`` s.

        Returns:
            Whether the worker finished in time. Undelivered events stay in the outbox
            for the next start or ``nbgov flush``; a send still in flight finishes in
            the background (the thread is a daemon) and records its outcome.
        """
        try:
            with self._cond:
                self._stopping = True
                self._close_deadline = time.monotonic() + max(timeout, 0.0)
                self._cond.notify_all()
                thread = self._thread
            if thread is None:
                return True
            thread.join(max(timeout, 0.0))
            return not thread.is_alive()
        except Exception as exc:  # noqa: BLE001 - pragma: no cover - defensive
            self._count_error(exc)
            return False

    def __enter__(self) -> Emitter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------- worker side
    def _count_error(self, exc: BaseException) -> None:
        self.errors += 1
        self.last_error = _describe_error(exc)
        log.debug("nbgov emitter error", exc_info=exc)

    def _resolve_transport(self) -> Transport | None:
        if self._transport_arg is _USE_CONFIGURED:
            from nbgov.emit.transport import configured_transport

            return configured_transport()
        return self._transport_arg  # type: ignore[return-value]

    def _run(self) -> None:
        store: Store | None = None
        transport_ready = False
        try:
            while True:
                with self._cond:
                    while not (self._wake or self._stopping or self._requested > self._served):
                        if not self._cond.wait(self.poll_interval):
                            break  # timer: retry what is due
                    self._wake = False
                    stopping = self._stopping
                    target = self._requested
                    deadline = self._close_deadline if stopping else None
                try:
                    if store is None:
                        store = self._store_factory()
                    if not transport_ready:
                        self._transport = self._resolve_transport()
                        transport_ready = True
                    if self._transport is not None:
                        if target > self._served and not stopping:
                            store.reset_outbox_schedule()
                        self._drain(store, deadline)
                    else:
                        self.pending = int(store.outbox_stats().get("pending", 0))
                except Exception as exc:  # noqa: BLE001 - the emitter never raises into the caller
                    self._count_error(exc)
                with self._cond:
                    self._served = max(self._served, target)
                    self._cond.notify_all()
                if stopping:
                    return
        finally:
            self._shutdown(store)

    def _past_close_deadline(self) -> bool:
        deadline = self._close_deadline
        return self._stopping and deadline is not None and time.monotonic() >= deadline

    def _drain(self, store: Store, deadline: float | None) -> None:
        assert self._transport is not None
        while True:
            result = deliver_pending(
                store, self._transport, owner=self.owner, limit=self.batch_size, deadline=deadline,
                lease_seconds=self.lease_seconds, backoff_base=self.backoff_base, backoff_max=self.backoff_max,
                stop=self._past_close_deadline,
            )
            self.delivered += result.delivered
            self.failed += result.failed
            self.pending = result.pending
            if result.last_error:
                self.last_error = result.last_error
            elif result.delivered:
                self.last_error = None
            stop = self._stopping and deadline is None  # close() arrived mid-drain: one more bounded pass
            if result.failed or result.delivered < self.batch_size or result.pending == 0 or stop:
                return
            if deadline is not None and time.monotonic() >= deadline:
                return

    def _shutdown(self, store: Store | None) -> None:
        if self._owns_transport and self._transport is not None:
            try:
                self._transport.close(0)
            except Exception as exc:  # noqa: BLE001 - the emitter never raises into the caller
                self._count_error(exc)
        if store is not None:
            try:
                store.close()
            except Exception as exc:  # noqa: BLE001 - pragma: no cover
                self._count_error(exc)
