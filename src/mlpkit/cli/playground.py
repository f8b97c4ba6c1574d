"""``mlpkit playground``: the live training page on a local server."""

from __future__ import annotations

import ipaddress

import click

from ._common import clean_errors


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="port to listen on (0: a free one)",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="address to listen on; anything but this machine's loopback lets other "
    "machines reach the page (they still need the token)",
)
@click.option("--no-browser", is_flag=True, help="print the URL without opening a browser")
@clean_errors
def playground(port: int, host: str, no_browser: bool) -> None:
    """Build a small network in the browser and watch it learn, live.

    Serves one page (needs the playground extra: pip install 'mlpkit[playground]'):
    pick the data (xor, circles, moons, spirals, a 1-D function), the layers, the
    optimizer and the batch mode; press play and watch the decision boundary, the loss
    curves and each layer's gradient norm; click a point for its chain-rule table;
    export the trained model (.mlpk, loads with mlpkit.load) or the Python code that
    trains it. The URL printed carries a random token: only a page opened from it can
    drive the server. Ctrl+C stops it.
    """
    from ..playground.server import serve

    if not _is_loopback(host):
        click.echo(
            f"warning: listening on {host}: machines that can reach it can open the page "
            "with the token's URL (the default, 127.0.0.1, keeps it to this machine)",
            err=True,
        )
    try:
        serve(host=host, port=port, open_browser=not no_browser)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass
