"""The playground: watch a small network learn, live, in the browser.

``mlpkit playground`` starts a local server (see :mod:`mlpkit.playground.server`,
which needs the ``mlpkit[playground]`` extra) serving one page that drives the real
mlpkit training loop: pick the data, the input features, each layer's width and the
optimizer, press play, and watch the decision boundary, what every unit computes over
the plane, the loss curves and every layer's gradient norm change; pin points for
their chain-rule tables (the numbers of :func:`mlpkit.trace`); take the trained network
back into Python as an ``.mlpk`` file or as the code that builds and trains it. Its
autoencoder mode trains on the digits and shows the 2-D bottleneck forming beside PCA's.
:class:`Session` and :class:`AutoencoderSession` are the page's state and work without a
server.
"""

import queue
import threading

from .autoencoding import AutoencoderSession, AutoencoderSettings, validate_autoencoder
from .session import Session, SessionError
from .settings import FEATURES, LIMITS, Settings, SettingsError, options, validate

__all__ = [
    "FEATURES",
    "LIMITS",
    "AutoencoderSession",
    "AutoencoderSettings",
    "Running",
    "Session",
    "SessionError",
    "Settings",
    "SettingsError",
    "options",
    "show",
    "validate",
    "validate_autoencoder",
]


class Running:
    """A playground server running in this process (a thread): ``url`` (with its token),
    ``stop()``, and in a notebook the page itself in an ``<iframe>``.

    Parameters
    ----------
    url : str
        The page's address, with its token.
    thread : threading.Thread
        The server's thread.
    height : int
        The frame's height in a notebook.

    Examples
    --------
    >>> import mlpkit.playground
    >>> running = mlpkit.playground.show()  # doctest: +SKIP
    >>> running.stop()  # doctest: +SKIP
    """

    def __init__(self, url: str, thread: threading.Thread, height: int) -> None:
        self.url, self.thread, self.height = url, thread, height

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (its pages' training stops at the next epoch).

        Parameters
        ----------
        timeout : float, default 10.0
            Seconds to wait for the thread.
        """
        from .server import stop_serving

        stop_serving()
        self.thread.join(timeout)

    def _repr_html_(self) -> str:
        import html

        return (f'<iframe src="{html.escape(self.url, quote=True)}" style="width:100%;'
                f'height:{self.height}px;border:1px solid #ddd"></iframe>')  # fmt: skip

    def __repr__(self) -> str:
        return f"mlpkit playground at {self.url} (stop() ends it)"


def show(port: int = 0, height: int = 900, timeout: float = 30.0) -> Running:
    """Start ``mlpkit playground`` in this process, on 127.0.0.1, and return it: in a
    notebook, as a cell's last line, the page opens inside the output. Needs the
    ``playground`` extra.

    Parameters
    ----------
    port : int, default 0
        The port (0: a free one).
    height : int, default 900
        The frame's height in a notebook.
    timeout : float, default 30.0
        Seconds to wait for the server to start.

    Returns
    -------
    Running
        The server; its page shows as a cell's output.

    Examples
    --------
    >>> import mlpkit.playground
    >>> running = mlpkit.playground.show()  # doctest: +SKIP
    """
    from .server import serve

    urls: queue.Queue[str] = queue.Queue()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            serve(port=port, open_browser=False, announce=urls.put)
        except BaseException as exc:  # (reported to the caller below)
            failed.append(exc)
            urls.put("")

    thread = threading.Thread(target=run, name="mlpkit-playground", daemon=True)
    thread.start()
    url = urls.get(timeout=timeout)
    if failed:
        raise failed[0]
    return Running(url, thread, height)
