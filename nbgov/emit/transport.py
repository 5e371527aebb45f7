"""The organisation's OpenLineage backend, from the standard client configuration.

nbgov has no transport configuration of its own: it reads what every OpenLineage
integration reads, with the client's own machinery (``OpenLineageClient()`` and its
transport factory), so HTTP, Kafka, file, composite and plug-in transports all work.
The client's precedence, highest first:

1. ``OPENLINEAGE_DISABLED=true`` — nothing is sent.
2. The YAML file: ``$OPENLINEAGE_CONFIG``, else ``./openlineage.yml``, else
   ``~/.openlineage/openlineage.yml``; its ``transport`` section.
3. ``OPENLINEAGE__TRANSPORT__*`` environment variables (``__`` separates keys; values
   are parsed as JSON when they can be), merged under the file.
4. ``OPENLINEAGE_URL`` (+ ``OPENLINEAGE_ENDPOINT``, ``OPENLINEAGE_API_KEY``): the HTTP
   transport, when the sources above name no transport type.

Unlike the bare client, nbgov does not fall back to printing events on the console
when nothing is configured: :func:`configured_transport` returns ``None`` and events
simply stay in the store. A broken configuration is a :class:`~nbgov.errors.ConfigError`
naming the file or variable, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import yaml
from openlineage.client.client import OpenLineageClient
from openlineage.client.transport import Transport

from nbgov.errors import ConfigError
from nbgov.model.redact import redact_mapping, redact_url

__all__ = ["configured_transport", "describe_transport", "is_disabled"]

log = logging.getLogger(__name__)

ENV_PREFIX = "OPENLINEAGE__"
TRANSPORT_ENV = "OPENLINEAGE__TRANSPORT__*"
#: transports that cannot confirm delivery when ``emit`` returns
_FIRE_AND_FORGET = {"async_http", "console", "noop"}
# OpenLineageClient() edits os.environ while it reads it; build one client at a time.
_BUILD_LOCK = threading.Lock()


def is_disabled() -> bool:
    """Whether ``OPENLINEAGE_DISABLED`` switches emission off."""
    return os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true"


def _yaml_path() -> str | None:
    """The YAML file the client would read, by the client's own search."""
    explicit = os.environ.get("OPENLINEAGE_CONFIG")
    if explicit and not os.path.isfile(explicit):
        raise ConfigError("names no readable file", source=f"OPENLINEAGE_CONFIG={explicit}")
    finder = getattr(OpenLineageClient, "_find_yaml_config_path", None)
    if finder is not None:
        return finder()
    for path in (  # pragma: no cover - the client's search, should it disappear
        explicit,
        os.path.join(os.getcwd(), "openlineage.yml"),
        os.path.join(os.path.expanduser("~/.openlineage"), "openlineage.yml"),
    ):
        if path and os.path.isfile(path) and os.access(path, os.R_OK):
            return path
    return None


def _yaml_config(path: str) -> dict[str, Any]:
    # The client logs and ignores a file it cannot parse; nbgov says so instead.
    try:
        with open(path, encoding="utf-8") as f:
            content = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read OpenLineage configuration: {' '.join(str(exc).split())}",
                          source=path) from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ConfigError("OpenLineage configuration must be a mapping", source=path)
    transport = content.get("transport")
    if transport is not None and not isinstance(transport, dict):
        raise ConfigError("`transport` must be a mapping", source=path)
    return content


def _env_transport() -> dict[str, Any]:
    loader = getattr(OpenLineageClient, "_load_config_from_env_variables", None)
    if loader is not None:
        transport = (loader() or {}).get("transport")
        return transport if isinstance(transport, dict) else {}
    t = os.environ.get("OPENLINEAGE__TRANSPORT__TYPE")  # pragma: no cover
    return {"type": t.lower()} if t else {}  # pragma: no cover


def _resolve() -> tuple[str | None, list[str], str | None]:
    """(transport type or ``http`` for OPENLINEAGE_URL, the sources, the source naming the type)."""
    sources: list[str] = []
    type_source = None
    ttype = None
    path = _yaml_path()
    file_transport: dict[str, Any] = {}
    if path:
        file_transport = _yaml_config(path).get("transport") or {}
        if file_transport:
            sources.append(path)
            if file_transport.get("type"):
                ttype, type_source = str(file_transport["type"]), path
    env_transport = _env_transport()
    if any(k.startswith("OPENLINEAGE__TRANSPORT__") for k in os.environ):
        sources.append(TRANSPORT_ENV)
        if ttype is None and env_transport.get("type"):
            ttype, type_source = str(env_transport["type"]), "OPENLINEAGE__TRANSPORT__TYPE"
    if os.environ.get("OPENLINEAGE_URL", "").strip():
        sources.append("OPENLINEAGE_URL")
        if ttype is None:
            ttype, type_source = "http", "OPENLINEAGE_URL"
    return ttype, sources, type_source


class _ToDebug(logging.Handler):
    """Re-logs the client's records at DEBUG under nbgov's logger while a transport is
    built: nbgov reports a failure itself (one ConfigError naming the setting), so the
    client's own traceback (e.g. confluent-kafka missing) does not reach stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("openlineage client while building a transport: %s", record.getMessage())


@contextlib.contextmanager
def _client_logs_kept_back() -> Iterator[None]:
    client_log = logging.getLogger("openlineage.client")
    handler = _ToDebug()
    propagate = client_log.propagate
    client_log.addHandler(handler)
    client_log.propagate = False
    try:
        yield
    finally:
        client_log.propagate = propagate
        client_log.removeHandler(handler)


def configured_transport() -> Transport | None:
    """The transport the standard OpenLineage configuration names, or None.

    Returns:
        The client's transport object, or ``None`` when no backend is configured or
        ``OPENLINEAGE_DISABLED=true`` (or the configured type is ``noop``).

    Raises:
        ConfigError: the YAML file is unreadable or malformed, or the transport
            cannot be built (unknown type, missing key); the message names the
            file or variable.
    """
    if is_disabled():
        return None
    ttype, _, type_source = _resolve()
    if ttype is None:
        return None
    with _BUILD_LOCK, _client_logs_kept_back():
        before = set(os.environ)
        try:
            transport = OpenLineageClient().transport
        except Exception as exc:
            raise ConfigError(f"cannot build the {ttype!r} OpenLineage transport: {exc}",
                              source=type_source) from exc
        finally:
            # OpenLineageClient() copies OPENLINEAGE_URL into OPENLINEAGE__TRANSPORT__TRANSPORTS__DEFAULT_HTTP__*
            # variables of the process; the transport is built, so take them out again so a later change of
            # OPENLINEAGE_URL is not shadowed by stale copies.
            for key in set(os.environ) - before:
                if key.startswith(ENV_PREFIX):
                    os.environ.pop(key, None)
    if transport is None or transport.kind == "noop":
        return None
    return transport


def _describe(transport: Transport) -> dict[str, Any]:
    info: dict[str, Any] = {"kind": transport.kind}
    if transport.name:
        info["name"] = transport.name
    url = getattr(transport, "url", None)
    if isinstance(url, str):
        info["target"] = redact_url(urljoin(url, getattr(transport, "endpoint", "") or ""))
        config = getattr(transport, "config", None)
        auth = getattr(config, "auth", None)
        if auth is not None and type(auth).__name__ != "TokenProvider":
            info["auth"] = type(auth).__name__.replace("TokenProvider", "") or "custom"
        headers = getattr(config, "custom_headers", None)
        if headers:
            info["headers"] = sorted(headers)  # names only: values may be credentials
        if getattr(transport, "timeout", None) is not None:
            info["timeout"] = transport.timeout  # type: ignore[attr-defined]
    elif transport.kind == "file":
        config = transport.config  # type: ignore[attr-defined]
        info["target"] = redact_url(str(config.log_file_path))
        info["append"] = bool(config.append)
    elif transport.kind in ("kafka", "msk_iam"):
        info["target"] = f"topic {transport.topic}"  # type: ignore[attr-defined]
        kafka = getattr(getattr(transport, "kafka_config", None), "config", None) or {}
        info["config"] = redact_mapping(dict(kafka))
    elif transport.kind == "composite":
        info["transports"] = [_describe(t) for t in transport.transports]  # type: ignore[attr-defined]
    if transport.kind in _FIRE_AND_FORGET:
        info["warning"] = f"the {transport.kind} transport does not confirm delivery"
    return info


def describe_transport() -> dict[str, Any]:
    """Where events would go, for ``nbgov doctor``; secrets are never included.

    Returns:
        ``{"configured", "disabled", "kind", "source", "sources", "target", ...}``:
        ``source`` is the file or variable that names the transport type, ``sources``
        every source contributing configuration, ``target`` the URL, path or topic
        with credentials masked (composite transports list ``transports``); a broken
        configuration gives ``configured: False`` and ``error`` (the ConfigError text).
    """
    info: dict[str, Any] = {
        "configured": False, "disabled": is_disabled(), "kind": None, "source": None, "sources": [], "target": None,
    }
    try:
        _, sources, type_source = _resolve()
        info.update(sources=sources, source=type_source)
        if info["disabled"]:
            info["source"] = "OPENLINEAGE_DISABLED"
            return info
        transport = configured_transport()
    except ConfigError as exc:
        info["error"] = redact_url(str(exc))
        return info
    if transport is None:
        return info
    info.update(_describe(transport))
    info["configured"] = True
    try:
        transport.close(0)
    except Exception:  # pragma: no cover - describing must not fail
        log.debug("closing a described transport failed", exc_info=True)
    return info
