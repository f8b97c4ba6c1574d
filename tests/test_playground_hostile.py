"""The playground against a hostile or runaway page: every malformed message gets one
error reply and the session goes on (a fuzz test over the protocol); the token is
compared as bytes; a tick of training is bounded and a closed page's training stops;
idle connections are closed and their number capped."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import require

require("uvicorn", "pip install 'mlpkit[playground]'")

from mlpkit.playground import server as srv  # noqa: E402
from mlpkit.playground.session import Session  # noqa: E402


class FakeSocket:
    """What a page's handler sends, in order."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))


def _run(coroutine) -> None:
    """Run a coroutine on an event loop of its own thread (the browser tests' Playwright
    keeps a loop running in this one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result(timeout=60)


def handled(page, message) -> list[dict]:
    """The replies to one message (text as the page sends it)."""
    page.ws.sent.clear()
    _run(page.handle(message if isinstance(message, str) else json.dumps(message)))
    _run(page.pause())
    return page.ws.sent


@pytest.fixture
def page():
    return srv._Page(FakeSocket(), Session())


MALFORMED = {
    "nested 5,000 deep": (
        '{"type": "configure", "settings": ' + "[" * 2000 + "]" * 2000 + "}",
        "nests deeper than 8",
    ),
    "a 400-digit number": (
        '{"type": "configure", "settings": {"lr": ' + "9" * 400 + "}}",
        "an integer of 400 digits",
    ),
    "a huge float": ('{"type": "configure", "settings": {"lr": 1e999}}', "out of range"),
    "an empty list": ("[]", "a JSON object with a"),
    "a list for the settings": ({"type": "configure", "settings": []}, "settings"),
    "a list for a point": ({"type": "trace", "x": [[]]}, "coordinate"),
    "a string width": ({"type": "configure", "settings": {"hidden": ["4"]}}, "width"),
    "NaN": ('{"type": "configure", "settings": {"lr": NaN}}', "not a finite number"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_message_gets_one_error_and_the_session_goes_on(page, case):
    message, expected = MALFORMED[case]
    replies = handled(page, message)
    assert [r["type"] for r in replies] == ["error"], replies
    assert expected in replies[0]["message"] and "internal error" not in replies[0]["message"]
    assert page.session.settings.lr > 0  # nothing applied
    assert handled(page, {"type": "step"})[-1]["type"] == "state"


def test_a_regression_trace_target_may_be_a_whole_number(page):
    replies = handled(
        page,
        {
            "type": "configure",
            "settings": {"dataset": "function", "output": "identity", "loss": "mse"},
        },
    )
    assert replies and replies[0]["type"] != "error", replies
    for target in (1, 1.5, [2]):
        reply = handled(page, {"type": "trace", "x": [0.5], "target": target})
        assert reply[0]["type"] == "trace", reply
        assert reply[0]["target"] == [float(target[0] if isinstance(target, list) else target)]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
TYPES = st.sampled_from(["configure", "play", "pause", "step", "reset", "add_point",
                         "clear_points", "trace", "fly"])  # fmt: skip
KEYS = st.sampled_from(["settings", "x", "target", "seq", "value"])


@settings(max_examples=200, deadline=None)
@given(kind=TYPES, fields=st.dictionaries(KEYS, JSON, max_size=3))
def test_fuzzed_messages_get_replies_never_a_crash(kind, fields):
    page = srv._Page(FakeSocket(), Session())
    replies = handled(page, {"type": kind, **fields})
    for reply in replies:
        assert reply["type"] in ("error", "state", "data", "playing", "trace")
        if reply["type"] == "error":
            assert "internal error" not in reply["message"], reply
    after = handled(page, {"type": "step"})
    assert after and after[-1]["type"] in ("state", "error")


def test_a_tick_stops_at_its_deadline_and_a_closed_page_at_once():
    session = Session()
    session.configure({"epochs_per_tick": 50})
    before = session.epochs
    session.train(deadline=time.monotonic())  # already past: the one epoch it must run
    assert session.epochs == before + 1
    session.cancel()
    assert session.train() == before + 1  # a closed page trains no further


# -- the real server: the token as bytes, idle connections, the cap ----------------------
@pytest.fixture
def running():
    """A server in this process (a thread), with a short header deadline and a small cap."""
    found = {}
    thread = threading.Thread(
        target=srv.serve,
        kwargs={"open_browser": False, "announce": lambda url: found.setdefault("url", url),
                "header_seconds": 0.5, "max_connections": 6},
        daemon=True,
    )  # fmt: skip
    thread.start()
    deadline = time.monotonic() + 20
    while "url" not in found:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    yield found["url"], thread
    srv.stop_serving()
    thread.join(10)


def test_a_token_of_any_text_is_refused_with_403_not_500(running):
    url, _ = running
    base = url.split("/?")[0]
    for token in ("%C3%A9", "%FF%FE", "%00", "a" * 500):
        for path in ("/", "/static/playground.js", "/export/x/model.mlpk"):
            try:
                urllib.request.urlopen(f"{base}{path}?token={token}", timeout=10)
                status = 200
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status == 403, (token, path)


def test_idle_connections_are_closed_and_capped(running):
    url, _ = running
    host, port = url.split("//")[1].split("/")[0].split(":")
    sockets = [socket.create_connection((host, int(port)), timeout=10) for _ in range(12)]
    try:
        closed_at_once = 0
        for s in sockets[6:]:  # beyond the cap: closed as they arrive
            s.settimeout(5)
            with contextlib.suppress(ConnectionResetError):
                closed_at_once += s.recv(1) == b""
        assert closed_at_once >= 5
        for s in sockets[:6]:  # the others: closed once the header deadline passes
            s.settimeout(10)
            with contextlib.suppress(ConnectionResetError):
                assert s.recv(1) == b""
    finally:
        for s in sockets:
            s.close()
    # and the server still answers
    try:
        urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as exc:
        pytest.fail(f"the server refused a good request after the flood: {exc.code}")


def test_ctrl_c_stops_a_busy_server_within_seconds():
    """SIGINT while a page trains at the heaviest settings allowed: the process exits
    (the tick stops between epochs; open connections get a second to close)."""
    import re
    import signal
    import subprocess
    import sys

    client = require("websockets.sync.client", "pip install 'mlpkit[playground]'")
    proc = subprocess.Popen([sys.executable, "-m", "mlpkit.cli", "playground", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        url = re.search(r"(http://\S+)", proc.stdout.readline()).group(1)
        host, token = url.split("//")[1].split("/")[0], url.split("token=")[1]
        ws = client.connect(f"ws://{host}/ws?token={token}", origin=f"http://{host}",
                            open_timeout=30, max_size=None)  # fmt: skip
        heavy = {"hidden": [16] * 6, "points": 1000, "batch_mode": "stochastic",
                 "epochs_per_tick": 100}  # fmt: skip
        ws.send(json.dumps({"type": "configure", "settings": heavy}))
        ws.send(json.dumps({"type": "play"}))
        while True:  # until a tick has trained (and the next is running)
            message = json.loads(ws.recv(timeout=60))
            assert message["type"] != "error", message
            if message["type"] == "state" and message["epochs"] > 0:
                break
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        stopped = time.monotonic() - began
        with contextlib.suppress(Exception):
            ws.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert stopped < 5, f"the server took {stopped:.1f} s to stop"
