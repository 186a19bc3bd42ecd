"""One masking function for every secret a URL can carry, used for API responses and log lines.

Node and database URLs carry credentials in three places, and
:func:`mask_secrets` hides all three wherever a URL appears in a text:

* basic auth: ``https://user:pass@host`` -> ``https://user:***@host`` (a lone
  ``https://token@host`` -> ``https://***@host``);
* query keys: ``?apikey=...``, ``key``, ``token``, ``access_token``,
  ``secret``, ``password``, ``auth``, ``signature`` ... -> ``***``;
* path keys (``http``/``ws`` URLs): a path segment that looks like a key
  (16 or more letters, digits, ``-`` or ``_`` with both letters and digits, as
  Infura ``/v3/<id>``, Alchemy ``/v2/<key>`` and QuickNode ``/<token>/``
  use) -> ``***``; ``0x`` hex (an
  address or hash, public by nature) is kept.

Outside URLs, ``apikey=...``-style pairs are masked too, and so is a bare
path after ``url:`` (how urllib3 and requests name the URL in their errors).
:func:`install_log_masking` (run when this module is imported) makes every log record's message pass
through :func:`mask_secrets`, and :class:`MaskSecretsMiddleware` does the same
for every text or JSON HTTP response of an ASGI app.

Examples
--------
>>> mask_secrets("node https://alice:s3cret@rpc.example.com:8545/ up")
'node https://alice:***@rpc.example.com:8545/ up'
>>> mask_secrets("https://eth.example.io/v3/0123456789abcdef0123456789abcdef")
'https://eth.example.io/v3/***'
>>> mask_secrets("https://rpc.example.com/?apikey=XYZ&chain=1")
'https://rpc.example.com/?apikey=***&chain=1'
>>> mask_secrets("postgresql://ix:pw@db/index"), mask_secrets("http://127.0.0.1:8545")
('postgresql://ix:***@db/index', 'http://127.0.0.1:8545')
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["MASK", "MaskSecretsMiddleware", "install_log_masking", "mask_secrets"]

#: What a secret is replaced by.
MASK = "***"

_SECRET_KEYS = (
    "apikey|api_key|api-key|key|token|access_token|auth|secret|client_secret|password|passwd"
    "|pass|pwd|signature|sig|x-api-key|credential|credentials"
)
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>`]+")
_PAIR = re.compile(rf"(?i)\b({_SECRET_KEYS})=([^\s&'\"<>,;]+)")
#: schemes whose path segments may be keys (node providers put keys there)
_WEB = frozenset({"http", "https", "ws", "wss", "x"})
#: a bare path after ``url:`` (how urllib3/requests name the URL in their errors)
_BARE = re.compile(r"(?i)(\burl[:=]\s*)(/[^\s'\"<>()]*)")
_PATH_KEY = re.compile(r"^(?=[A-Za-z0-9_\-]*[A-Za-z])(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{16,}$")


def _mask_query(query: str) -> str:
    return _PAIR.sub(lambda m: f"{m.group(1)}={MASK}", query)


def _mask_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return _PAIR.sub(lambda m: f"{m.group(1)}={MASK}", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{MASK}@{host}"
        else:
            netloc = f"{MASK}@{host}"
    web = parts.scheme.lower() in _WEB  # a file or database path is not a key
    segments = [
        MASK if web and _PATH_KEY.match(seg) and not seg.lower().startswith("0x") else seg
        for seg in parts.path.split("/")
    ]
    path, query, fragment = (
        "/".join(segments),
        _mask_query(parts.query),
        _mask_query(parts.fragment),
    )
    if (netloc, path, query, fragment) == (parts.netloc, parts.path, parts.query, parts.fragment):
        return url
    out = f"{url.split('://', 1)[0]}://{netloc}{path}"
    if "?" in url:
        out += "?" + query
    if "#" in url:
        out += "#" + fragment
    return out


def _masked_match(m: re.Match[str]) -> str:
    url = m.group(0)
    body = url.rstrip(".,;:)]}!?")  # sentence punctuation after a URL is not part of it
    return _mask_url(body) + url[len(body) :]


def mask_secrets(text: str, *, pairs: bool = True) -> str:
    """``text`` with the credentials of every URL in it masked (module docstring);
    ``pairs=False`` leaves ``key=value`` text outside URLs alone (HTML pages
    and scripts are full of ``key=`` that is code, not a secret).

    Examples
    --------
    >>> mask_secrets("wss://x.quiknode.pro/5f3c1e2d9a8b7c6d5e4f/ and token=abc")
    'wss://x.quiknode.pro/***/ and token=***'
    """
    if not text or ("://" not in text and "=" not in text and "url" not in text.lower()):
        return text
    out = _URL.sub(_masked_match, text)
    out = _BARE.sub(lambda m: m.group(1) + _mask_url("x://h" + m.group(2))[5:], out)
    if not pairs:
        return out
    # pairs outside URLs (the URL pass already masked those inside them)
    return _PAIR.sub(lambda m: f"{m.group(1)}={MASK}" if m.group(2) != MASK else m.group(0), out)


_installed = False


def install_log_masking() -> None:
    """Make every log record's message pass through :func:`mask_secrets`
    (a log-record factory, so it covers every logger and handler). Idempotent."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error path
            return record
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


#: Response types whose bodies are masked (scripts and styles are served files).
_MASKED_TYPES = (b"application/json", b"text/plain", b"text/html", b"application/problem+json")


class MaskSecretsMiddleware:
    """ASGI middleware: every JSON, plain-text or HTML response body passes
    through :func:`mask_secrets` (``key=`` pairs outside URLs are left in HTML),
    Content-Length adjusted, whichever route made it.

    Parameters
    ----------
    app : ASGI application
        The wrapped application (``app.add_middleware(MaskSecretsMiddleware)``).
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def masked_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(bytes(message.get("body", b"")))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
            ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            if ctype.startswith(_MASKED_TYPES):
                text = body.decode("utf-8", "replace")
                masked = mask_secrets(text, pairs=not ctype.startswith(b"text/html"))
                if masked != text:
                    body = masked.encode("utf-8")
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, masked_send)


install_log_masking()
