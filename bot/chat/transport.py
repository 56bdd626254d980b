"""Requests to the Bot API over aiohttp instead of python-telegram-bot's default, httpx.

Measured on loopback, httpx's client spent 1.2 ms of CPU a request one at a time and 2.7 ms
with 32 at once (its connection pool looks through every request and connection each time);
aiohttp's 0.25–0.43 ms. The bot sends a reply or two for every update it handles, so this is
most of what it spends talking to Telegram (docs/benchmarks.md, "Answering"). aiohttp is
already what the bot's pages are served with.

What goes on the wire is what python-telegram-bot's own request sends: the parameters as a
form, multipart when a file goes with them (its name in UTF-8); the same ``User-Agent``;
timeouts and failures raised as its ``TimedOut`` and ``NetworkError``.
"""

from __future__ import annotations

import urllib.request
from typing import Final

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECTIONS: Final = 256
"""Connections to the Bot API at most, as python-telegram-bot's own request keeps."""
TIMEOUTS: Final = {"read": 5.0, "write": 5.0, "connect": 5.0, "pool": 1.0}
"""python-telegram-bot's defaults, in seconds."""
MEDIA_WRITE_SECONDS: Final = 20.0
"""How long a request that uploads a file may take to write, as python-telegram-bot allows."""

_DEFAULT = BaseRequest.DEFAULT_NONE


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's ``BaseRequest`` on an aiohttp session of at most `connections`
    connections, opened by ``initialize`` (in the event loop it is used in).

    aiohttp has no timeout for writing a request; the whole request is bounded by the sum of
    the four timeouts instead, so a stalled upload fails as a read that never ends would."""

    __slots__ = ("_connections", "_proxies", "_session")

    def __init__(self, connections: int) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float:
        return TIMEOUTS["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector)
            self._proxies.clear()

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = _DEFAULT,
        write_timeout: object = _DEFAULT,
        connect_timeout: object = _DEFAULT,
        pool_timeout: object = _DEFAULT,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        uploads = bool(request_data and request_data.contains_files)
        write = MEDIA_WRITE_SECONDS if uploads else TIMEOUTS["write"]
        timeout = _timeout(
            read=_seconds(read_timeout, TIMEOUTS["read"]),
            write=_seconds(write_timeout, write),
            connect=_seconds(connect_timeout, TIMEOUTS["connect"]),
            pool=_seconds(pool_timeout, TIMEOUTS["pool"]),
        )
        try:
            async with self._session.request(
                method,
                url,
                data=_form(request_data),
                headers={"User-Agent": self.USER_AGENT},
                timeout=timeout,
                proxy=self._proxy(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _proxy(self, url: str) -> str | None:
        """The proxy set in the environment for `url`'s server, as httpx uses it (HTTPS_PROXY,
        HTTP_PROXY, ALL_PROXY, NO_PROXY), looked up once a server: aiohttp's own lookup
        (``trust_env``) costs 0.65 ms of CPU a request."""
        origin = "/".join(url.split("/", 3)[:3])
        if origin not in self._proxies:
            self._proxies[origin] = _environment_proxy(origin)
        return self._proxies[origin]


def _environment_proxy(origin: str) -> str | None:
    """The proxy the environment sets for the server at `origin` (``scheme://host:port``)."""
    scheme, _, address = origin.partition("://")
    proxies = urllib.request.getproxies()
    if urllib.request.proxy_bypass(address):
        return None
    return proxies.get(scheme) or proxies.get("all")


def _form(request_data: RequestData | None) -> aiohttp.FormData | None:
    """The request's parameters as a form, multipart with its files; no body without either."""
    if request_data is None or not (request_data.json_parameters or request_data.contains_files):
        return None
    # a file's name as it is (UTF-8), as httpx sends it: quoted, a Chinese name would reach
    # the chat as "%E5%8D%8E…"
    form = aiohttp.FormData(request_data.json_parameters, quote_fields=False)
    for name, (filename, content, content_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=content_type)
    return form


def _seconds(given: object, default: float) -> float | None:
    """A timeout as python-telegram-bot passes it: its default, None (no limit) or seconds."""
    if given is _DEFAULT:
        return default
    return float(given) if isinstance(given, int | float) else None


def _timeout(
    read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for python-telegram-bot's: waiting for a connection from the pool
    and opening it count as connecting, reading is between two reads, and the whole request
    takes no longer than all four together (None: no limit)."""
    total = (
        None
        if None in (read, write, connect, pool)
        else sum(filter(None, (read, write, connect, pool)))
    )
    return aiohttp.ClientTimeout(
        total=total,
        connect=None if pool is None or connect is None else pool + connect,
        sock_connect=connect,
        sock_read=read,
    )
