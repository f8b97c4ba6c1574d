"""The playground: watch a small network learn, live, in the browser.

``mlpkit playground`` starts a local server (see :mod:`mlpkit.playground.server`,
which needs the ``mlpkit[playground]`` extra) serving one page that drives the real
mlpkit training loop: pick the data, the layers and the optimizer, press play, and
watch the decision boundary, the loss curves and every layer's gradient norm change;
click a point for its chain-rule table (the numbers of :func:`mlpkit.trace`); take
the trained network back into Python as an ``.mlpk`` file or as the code that builds
and trains it. :class:`Session` is the page's state and works without a server.
"""

from .session import Session, SessionError
from .settings import LIMITS, Settings, SettingsError, options, validate

__all__ = ["LIMITS", "Session", "SessionError", "Settings", "SettingsError", "options", "validate"]
