"""The playground's local web server: one page, one WebSocket per page, two exports.

Built on Starlette and served by uvicorn (the ``mlpkit[playground]`` extra). Every
request must carry the random token of the URL the command printed (compared in
constant time), the WebSocket's Origin must be the page's own, and the server holds
at most ``LIMITS["sessions"]`` pages at once, freeing a page's session when it closes.
Training runs in a worker thread, so the page stays responsive while it trains.

Bounded against a hostile or runaway client: every malformed message (too big, too
deep, a huge number, a binary frame, a wrong type anywhere) gets one error reply and the
session goes on; a tick of training stops at ``TICK_SECONDS`` between epochs and lets
other pages train (one training thread a core, server-wide); a closed page's training
stops at its next epoch; a connection that sends no complete request within
``HEADER_SECONDS`` is closed, and at most ``MAX_CONNECTIONS`` are held at once; Ctrl+C
stops the server within ``SHUTDOWN_SECONDS``.

The WebSocket protocol (JSON objects, each with a ``type``):

page → server: ``configure {settings}``, ``play``, ``pause``, ``step``, ``reset``,
``add_point {x, target}``, ``clear_points``, ``trace {x, target?, id?}``, ``mode {value}``
("network" or "autoencoder"), and in the autoencoder mode ``decode {code, via}``.
server → page: ``hello {session, options}``, ``data`` (``ae_data``), ``state``
(``ae_state``), ``playing {value}``, ``trace`` (with the request's ``id``), ``mode``,
``decoded``, ``error {message}`` (a bad message gets an error reply; the server goes on).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import socket
import sys
import time
import webbrowser
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse, Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect
    from uvicorn.protocols.http.h11_impl import H11Protocol
except ImportError as exc:  # pragma: no cover - exercised by test_extras
    raise ImportError(
        f"mlpkit playground needs the playground extra: pip install 'mlpkit[playground]' ({exc})"
    ) from None

from .._validation import parse_json
from .autoencoding import AE_ACTIVATIONS, AE_LIMITS, AutoencoderSession, AutoencoderSettings
from .session import Session, SessionError
from .settings import LIMITS, SettingsError, options, shown

__all__ = ["create_app", "serve", "stop_serving"]

log = logging.getLogger("mlpkit.playground")

#: the page's files, served from the package (no CDN: the page works offline)
STATIC = {"playground.js": "text/javascript", "playground.css": "text/css"}
#: at most this many state updates a second while playing
TICKS_PER_SECOND = 30
#: the transport's own bound; messages between LIMITS["message_bytes"] and this get an
#: error reply, larger ones close the connection
TRANSPORT_MAX_BYTES = 1 << 20
#: a play tick's training stops at the first epoch boundary after this long
TICK_SECONDS = 0.25
#: a connection must send a complete request within this long, or it is closed
HEADER_SECONDS = 10
#: connections held at once (pages, their HTTP requests, and whatever else knocks)
MAX_CONNECTIONS = 64
#: how long Ctrl+C waits for open connections before closing them
SHUTDOWN_SECONDS = 1


def _asset(name: str) -> str:
    return resources.files("mlpkit.playground").joinpath("static", name).read_text("utf-8")


class _Page:
    """One open page: its session, its socket and its play loop."""

    def __init__(self, websocket: WebSocket, session: Session | AutoencoderSession,
                 sessions: dict[str, Any] | None = None, sid: str = "") -> None:  # fmt: skip
        self.ws, self.session = websocket, session
        #: the server's sessions by page (a mode change puts the new session there)
        self.sessions, self.sid = sessions if sessions is not None else {}, sid
        self.player: asyncio.Task[None] | None = None
        #: the number of the last configure message handled: the page refills its
        #: controls from a data message only once it has every reply it waits for
        self.seq = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(message, allow_nan=False))

    async def send_all(self) -> None:
        data = await asyncio.to_thread(self.session.data_message)
        await self.send({**data, "seq": self.seq})
        await self.send(await asyncio.to_thread(self.session.state))

    async def pause(self) -> None:
        if self.player is not None:
            self.player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.player
            self.player = None

    async def _play(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                started = loop.time()
                deadline = time.monotonic() + TICK_SECONDS
                await asyncio.to_thread(self.session.train, None, deadline)
                await self.send(await asyncio.to_thread(self.session.state))
                if self.session.diverged:
                    await self.send(_error(
                        "the loss became NaN or infinite: lower the learning rate and reset"
                    ))  # fmt: skip
                    break
                await asyncio.sleep(max(0.0, 1 / TICKS_PER_SECOND - (loop.time() - started)))
        except SessionError as exc:
            await self.send(_error(str(exc)))
        finally:
            self.player = None
            with contextlib.suppress(Exception):
                await self.send({"type": "playing", "value": False})

    async def handle(self, text: str) -> None:
        size = len(text.encode("utf-8", "replace"))
        if size > LIMITS["message_bytes"]:
            await self.send(_error(
                f"message of {size} bytes is over the limit of {LIMITS['message_bytes']} bytes"
            ))  # fmt: skip
            return
        try:
            message = parse_json(text, max_depth=8, max_int_digits=18)
        except ValueError as exc:
            await self.send(_error(f"not a usable JSON message: {exc}"))
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send(_error('a message must be a JSON object with a "type"'))
            return
        kind = message["type"]
        handler = getattr(self, f"on_{kind}", None)
        if handler is None:
            await self.send(_error(f"unknown message type {shown(kind)}"))
            return
        try:
            await handler(message)
        except (SettingsError, SessionError) as exc:
            await self.send(_error(str(exc)))
        except (TypeError, ValueError, IndexError, KeyError, OverflowError) as exc:
            # a value of the wrong kind that got past the checks: a settings error, not a crash
            log.info("playground message refused: %s", exc)
            await self.send(
                _error(f"a value in that {shown(kind)} message is not usable: {shown(str(exc))}")
            )

    # -- the messages ---------------------------------------------------------------
    async def on_configure(self, message: dict[str, Any]) -> None:
        seq = message.get("seq", self.seq)
        if isinstance(seq, int) and not isinstance(seq, bool):
            self.seq = seq
        restarted = await asyncio.to_thread(self.session.configure, message.get("settings", {}))
        if restarted:
            await self.pause()
            await self.send({"type": "playing", "value": False})
            await self.send_all()

    async def on_play(self, message: dict[str, Any]) -> None:
        if self.player is None:
            self.player = asyncio.create_task(self._play())
            await self.send({"type": "playing", "value": True})

    async def on_pause(self, message: dict[str, Any]) -> None:
        await self.pause()

    async def on_step(self, message: dict[str, Any]) -> None:
        await self.pause()
        await asyncio.to_thread(self.session.step)
        await self.send(await asyncio.to_thread(self.session.state))

    async def on_reset(self, message: dict[str, Any]) -> None:
        await self.pause()
        await asyncio.to_thread(self.session.restart)
        await self.send_all()

    async def on_add_point(self, message: dict[str, Any]) -> None:
        await self.pause()
        await asyncio.to_thread(self.session.add_point, message.get("x"), message.get("target"))
        await self.send_all()

    async def on_clear_points(self, message: dict[str, Any]) -> None:
        await self.pause()
        await asyncio.to_thread(self.session.clear_points)
        await self.send_all()

    async def on_trace(self, message: dict[str, Any]) -> None:
        reply = await asyncio.to_thread(self.session.trace, message.get("x"), message.get("target"))
        ident = message.get("id")
        if isinstance(ident, int) and not isinstance(ident, bool):
            reply["id"] = ident  # which of the page's pinned points it is
        await self.send(reply)

    async def on_mode(self, message: dict[str, Any]) -> None:
        """Switch between the network and the autoencoder: a fresh session of that kind."""
        value = message.get("value")
        if value not in ("network", "autoencoder"):
            raise SessionError(f"mode must be network or autoencoder, got {shown(value)}")
        await self.pause()
        self.session.cancel()
        self.session = await asyncio.to_thread(
            AutoencoderSession if value == "autoencoder" else Session
        )
        self.sessions[self.sid] = self.session
        await self.send({"type": "mode", "value": value})
        await self.send({"type": "playing", "value": False})
        await self.send_all()

    async def on_decode(self, message: dict[str, Any]) -> None:
        if not isinstance(self.session, AutoencoderSession):
            raise SessionError("decode is the autoencoder mode's: switch to it first")
        reply = await asyncio.to_thread(
            self.session.decode, message.get("code"), message.get("via", "autoencoder")
        )
        await self.send(reply)


def _error(message: str) -> dict[str, str]:
    return {"type": "error", "message": message}


def create_app(token: str, max_sessions: int = LIMITS["sessions"]) -> Starlette:
    """The playground's ASGI app; every request must carry ``?token=TOKEN``."""
    sessions: dict[str, Session | AutoencoderSession] = {}

    expected = token.encode()

    def authorised(query: Any) -> bool:
        """The token, compared as bytes in constant time (any text the URL holds)."""
        given = str(query.get("token", "")).encode("utf-8", "replace")
        return secrets.compare_digest(given, expected)

    def refuse(request: Request) -> Response:
        return PlainTextResponse(
            "403: missing or wrong token — open the URL that `mlpkit playground` printed",
            status_code=403,
        )

    async def page(request: Request) -> Response:
        if not authorised(request.query_params):
            return refuse(request)
        html = _asset("index.html").replace("{{TOKEN}}", token)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def static(request: Request) -> Response:
        if not authorised(request.query_params):
            return refuse(request)
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("404: no such file", status_code=404)
        return Response(_asset(name), media_type=STATIC[name])

    async def export(request: Request) -> Response:
        if not authorised(request.query_params):
            return refuse(request)
        session = sessions.get(request.path_params["session"])
        if session is None:
            return PlainTextResponse("404: no such page (it was closed)", status_code=404)
        what = request.path_params["what"]
        if what == "model.mlpk":
            body, kind = await asyncio.to_thread(session.model_bytes), "application/octet-stream"
        elif what == "train.py":
            body, kind = (await asyncio.to_thread(session.python_code)).encode(), "text/x-python"
        else:
            return PlainTextResponse("404: exports are model.mlpk and train.py", status_code=404)
        headers = {"Content-Disposition": f'attachment; filename="playground-{what}"'}
        return Response(body, media_type=kind, headers=headers)

    async def websocket(ws: WebSocket) -> None:
        origin = ws.headers.get("origin")
        host = ws.headers.get("host", "")
        if not authorised(ws.query_params) or origin is None or urlsplit(origin).netloc != host:
            await ws.close(code=1008)  # policy violation: not this server's page
            return
        await ws.accept()
        if len(sessions) >= max_sessions:
            await ws.send_text(json.dumps(_error(
                f"{max_sessions} playground pages are open already: close one and reload"
            )))  # fmt: skip
            await ws.close(code=1013)
            return
        sid = secrets.token_urlsafe(8)
        sessions[sid] = session = Session()
        current = _Page(ws, session, sessions, sid)
        autoencoder = {"limits": AE_LIMITS, "activations": list(AE_ACTIVATIONS),
                       "defaults": AutoencoderSettings().to_dict()}  # fmt: skip
        try:
            await current.send({"type": "hello", "session": sid,
                                "options": {**options(), "autoencoder": autoencoder}})  # fmt: skip
            await current.send_all()
            while True:
                received = await ws.receive()
                if received["type"] == "websocket.disconnect":
                    raise WebSocketDisconnect(received.get("code", 1000))
                text = received.get("text")
                if text is None:
                    await current.send(
                        _error("binary frames are not part of the protocol: send JSON text")
                    )
                    continue
                try:
                    await current.handle(text)
                except (WebSocketDisconnect, RuntimeError):
                    raise
                except Exception as exc:  # a bug must not take the server down
                    log.exception("playground message failed")
                    await current.send(_error(f"internal error: {type(exc).__name__}: {exc}"))
        except WebSocketDisconnect:
            pass
        finally:
            current.session.cancel()  # its training stops at the next epoch
            await current.pause()
            sessions.pop(sid, None)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/static/{name}", static),
            Route("/export/{session}/{what}", export),
            WebSocketRoute("/ws", websocket),
        ]
    )
    app.state.sessions = sessions
    return app


class BoundedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a header deadline and a connection cap: uvicorn
    starts its keep-alive timer only after a first response, so a socket that never
    sends a request would be held for ever (1,100 idle sockets held 1,107 descriptors)."""

    header_seconds: float = HEADER_SECONDS
    max_connections: int = MAX_CONNECTIONS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.close()
            return
        self._deadline = self.loop.call_later(self.header_seconds, self._no_request)

    def _no_request(self) -> None:
        """Close a connection that has not sent a whole request in time (not one that
        became a WebSocket: the transport then belongs to the socket's protocol)."""
        if (
            self.cycle is None
            and self.transport.get_protocol() is self
            and not self.transport.is_closing()
        ):
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
        super().connection_lost(exc)


#: the servers ``serve`` runs in this process (``stop_serving`` ends them)
_RUNNING: list[Any] = []


def stop_serving() -> None:
    """Ask every server ``serve`` started in this process to stop (as Ctrl+C does)."""
    for server in list(_RUNNING):
        server.should_exit = True


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    announce: Callable[[str], None] | None = None,
    *,
    header_seconds: float = HEADER_SECONDS,
    max_connections: int = MAX_CONNECTIONS,
) -> None:
    """Serve the playground until interrupted. port 0 picks a free one. The URL (with
    its token) goes to ``announce`` (default: printed) once the server accepts.
    ``header_seconds``, ``max_connections``: the bounds on connections (see the module
    docstring). In a thread other than the main one it runs until ``stop_serving()``."""
    token = secrets.token_urlsafe(18)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port}: {exc.strerror} (try another --port)"
        ) from None
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    port = sock.getsockname()[1]
    address = f"[{host}]" if ":" in host else host
    url = f"http://{address}:{port}/?token={token}"
    protocol = type("BoundedH11Protocol", (BoundedH11Protocol,),
                    {"header_seconds": header_seconds, "max_connections": max_connections})  # fmt: skip
    config = uvicorn.Config(
        create_app(token), log_level="warning", ws_max_size=TRANSPORT_MAX_BYTES,
        ws_per_message_deflate=False, lifespan="off", http=protocol,
        timeout_keep_alive=5, timeout_graceful_shutdown=SHUTDOWN_SECONDS,
        h11_max_incomplete_event_size=16 * 1024,
    )  # fmt: skip
    server = uvicorn.Server(config)
    (announce or (lambda u: print(f"mlpkit playground: {u}  (Ctrl+C stops it)", flush=True)))(url)
    if open_browser:
        webbrowser.open(url)
    _RUNNING.append(server)
    try:
        server.run(sockets=[sock])
    finally:
        _RUNNING.remove(server)
        sock.close()
        sys.stdout.flush()
