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

from .autoencoding import AutoencoderSession, AutoencoderSettings, validate_autoencoder
from .session import Session, SessionError
from .settings import FEATURES, LIMITS, Settings, SettingsError, options, validate

__all__ = [
    "FEATURES",
    "LIMITS",
    "AutoencoderSession",
    "AutoencoderSettings",
    "Session",
    "SessionError",
    "Settings",
    "SettingsError",
    "options",
    "validate",
    "validate_autoencoder",
]
