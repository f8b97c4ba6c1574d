"""Autoencoders (the worksheet, section 3): encoder layers narrow the input down to a
bottleneck, decoder layers widen it back, and the input is its own target, so the
bottleneck must keep what tells the samples apart. ``encode`` reads the bottleneck —
a dimensionality reduction — and ``decode`` turns any bottleneck value back into an
input-shaped vector, which is what the latent-space explorer page moves around.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from . import activations
from ._backend import namespace_of, to_numpy
from ._validation import as_2d_float
from .callbacks.base import Callback, History
from .layers import Dense, GaussianNoise, Layer, dense_stack
from .network import Sequential

__all__ = ["Autoencoder"]


def _mirror(sizes: Sequence[int]) -> list[int]:
    return list(reversed(list(sizes)))


class Autoencoder:
    """An encoder/decoder pair trained to reconstruct its input.

    Parameters
    ----------
    encoder : list of int or Sequential
        Layer widths from the input to the bottleneck, e.g. ``[784, 128, 32, 2]``, or a
        Sequential whose output is the bottleneck.
    decoder : list of int or Sequential, optional
        Widths from the bottleneck to the output (default: the encoder mirrored,
        ``[2, 32, 128, 784]``), or a Sequential.
    activation : str, default "relu"
        The hidden activation of the layers built from widths.
    latent_activation : str, default "identity"
        The bottleneck's activation (the codes are then unconstrained real numbers).
    output_activation : str, default "auto"
        "auto" picks at the first ``fit``: sigmoid with binary cross-entropy when every
        training value lies in [0, 1] (pixels), identity with mean squared error
        otherwise. Or name one.
    noise : float, default 0.0
        The standard deviation of Gaussian noise added to the inputs in training only — a
        denoising autoencoder. The targets stay clean.
    seed : int, optional
        As for Sequential.
    dtype : str, default "float32"
        As for Sequential.
    batch_norm : bool, default False
        A BatchNorm between each hidden layer's affine map and its activation (not on
        the bottleneck or the output), in the layers built from widths.

    Attributes
    ----------
    network : Sequential
        The full network that is trained.
    encoder, decoder : Sequential
        Sequentials sharing its layers.
    latent_range : (ndarray of shape (k,), ndarray of shape (k,))
        The min and max of the codes of the last training data (the explorer's sliders).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:200], epochs=2, verbose=0)
    >>> ae.encode(X[:5]).shape, ae.reconstruct(X[:5]).shape, ae.latent_dim
    ((5, 2), (5, 64), 2)
    """

    def __init__(
        self,
        encoder: Sequence[int] | Sequential,
        decoder: Sequence[int] | Sequential | None = None,
        activation: str = "relu",
        latent_activation: str = "identity",
        output_activation: str = "auto",
        noise: float = 0.0,
        seed: int | None = None,
        dtype: str = "float32",
        batch_norm: bool = False,
    ) -> None:
        self.activation, self.latent_activation = activation, latent_activation
        self.output_activation, self.noise = output_activation, float(noise)
        self.batch_norm = bool(batch_norm)
        if isinstance(encoder, Sequential):
            enc_layers: list[Layer] = list(encoder.layers)
            if not isinstance(decoder, Sequential):
                raise ValueError("with a Sequential encoder, pass the decoder as a Sequential too")
            dec_layers: list[Layer] = list(decoder.layers)
            seed, dtype = encoder.seed, encoder.dtype.name
        else:
            sizes = [int(s) for s in encoder]
            if len(sizes) < 2:
                raise ValueError(f"encoder needs at least [input, bottleneck] sizes, got {sizes}")
            dec_sizes = _mirror(sizes) if decoder is None else [int(s) for s in decoder]  # type: ignore[union-attr]
            if dec_sizes[0] != sizes[-1] or dec_sizes[-1] != sizes[0]:
                raise ValueError(
                    f"decoder sizes {dec_sizes} must run from the bottleneck ({sizes[-1]}) "
                    f"back to the input width ({sizes[0]})"
                )
            out_act = "identity" if output_activation == "auto" else output_activation
            enc_layers = dense_stack(sizes, activation, latent_activation, batch_norm=batch_norm)
            dec_layers = dense_stack(dec_sizes, activation, out_act, batch_norm=batch_norm)
        if self.noise > 0 and not isinstance(enc_layers[0], GaussianNoise):
            enc_layers.insert(0, GaussianNoise(self.noise))
        self._attach(
            Sequential([*enc_layers, *dec_layers], seed=seed, dtype=dtype), len(enc_layers)
        )

    def _attach(self, network: Sequential, n_encoder_layers: int) -> None:
        """Make ``encoder`` and ``decoder`` views sharing ``network``'s layers."""
        self.network = network
        self.n_encoder_layers = n_encoder_layers
        layers, dtype = network.layers, network.dtype
        self.encoder = Sequential(layers[:n_encoder_layers], seed=network.seed, dtype=dtype)
        self.decoder = Sequential(layers[n_encoder_layers:], seed=network.seed, dtype=dtype)
        #: the bottleneck's width k and the inputs' d
        self.latent_dim: int = self.encoder.output_width()
        self.input_dim: int = int(cast(int, network.n_features_in))
        self.latent_range: tuple[np.ndarray, np.ndarray] | None = None

    def get_config(self) -> dict[str, Any]:
        """What, besides the network, makes this autoencoder (saved by mlpkit.save).

        Returns
        -------
        dict
            JSON values.
        """
        return {
            "n_encoder_layers": self.n_encoder_layers,
            "activation": self.activation,
            "latent_activation": self.latent_activation,
            "output_activation": self.output_activation,
            "noise": self.noise,
            "batch_norm": self.batch_norm,
            "latent_range": None
            if self.latent_range is None
            else [r.tolist() for r in self.latent_range],
        }

    @classmethod
    def from_network(cls, network: Sequential, config: dict[str, Any]) -> Autoencoder:
        """Rebuild from a trained network and its :meth:`get_config` (used by mlpkit.load).

        Parameters
        ----------
        network : Sequential
            The encoder's and decoder's layers in one network.
        config : dict
            What :meth:`get_config` returned.

        Returns
        -------
        Autoencoder
            The autoencoder.
        """
        n = config.get("n_encoder_layers")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n < len(network.layers):
            raise ValueError(
                f"an autoencoder's encoder layers must be a whole number from 1 to "
                f"{len(network.layers) - 1} (its network has {len(network.layers)}), got {n!r}"
            )
        names = [config.get(k) for k in ("activation", "latent_activation", "output_activation")]
        noise = config.get("noise")
        if not all(isinstance(name, str) for name in names):
            raise ValueError("an autoencoder's activations must be names")
        if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < 1e6:
            raise ValueError(f"an autoencoder's noise must be a number >= 0, got {noise!r}")
        ae = cls.__new__(cls)
        ae.activation, ae.latent_activation, ae.output_activation = (str(n) for n in names)
        ae.noise = float(noise)
        ae.batch_norm = bool(config.get("batch_norm", False))
        ae._attach(network, n)
        if config.get("latent_range") is not None:
            lo, hi = (np.asarray(r, dtype=network.dtype) for r in config["latent_range"])
            if lo.shape != (ae.latent_dim,) or hi.shape != (ae.latent_dim,):
                raise ValueError("latent_range does not match the bottleneck width")
            ae.latent_range = (lo, hi)
        return ae

    # -- training ---------------------------------------------------------------------
    def _settle_output(self, x: np.ndarray) -> None:
        """Resolve output_activation="auto" from the training data, once."""
        if self.output_activation != "auto":
            return
        xp = namespace_of(x)
        in_unit = bool(xp.all((x >= 0) & (x <= 1)))
        last = self.decoder.layers[-1]
        if isinstance(last, Dense):
            last.activation = activations.get("sigmoid" if in_unit else "identity")
        self.output_activation = "sigmoid" if in_unit else "identity"

    def fit(
        self,
        x: np.ndarray,
        epochs: int = 10,
        batch_size: int | None = 32,
        validation_data: np.ndarray | None = None,
        validation_split: float = 0.0,
        callbacks: Sequence[Callback] | None = None,
        loss: Any = None,
        optimizer: Any = None,
        verbose: int | str = "auto",
        shuffle: bool = True,
    ) -> History:
        """Train on X to reconstruct X; everything ``Sequential.fit`` offers is available.

        Parameters
        ----------
        x : array of shape (N, input_dim)
            The data (inputs and targets at once).
        epochs : int, default 10
            Passes over the data.
        batch_size : int or None, default 32
            As for ``Sequential.fit``.
        validation_data : array of shape (M, input_dim), optional
            Data to reconstruct after each epoch.
        validation_split : float, default 0.0
            Else this fraction of X, held out.
        callbacks : list of Callback, optional
            As for ``Sequential.fit``.
        loss : str or Loss, optional
            Default: chosen with the output activation.
        optimizer : str or Optimizer, optional
            Default: Adam.
        verbose : int or "auto", default "auto"
            As for ``Sequential.fit``.
        shuffle : bool, default True
            Reshuffle the rows every epoch.

        Returns
        -------
        History
            This call's epochs.
        """
        xa = as_2d_float(x, self.network.dtype)
        self._settle_output(xa)
        if loss is None and self.network.loss is None:  # by output layer, as fit, unannounced
            loss = self.network.head().loss
        val = None
        if validation_data is not None:
            xv = validation_data[0] if isinstance(validation_data, tuple) else validation_data
            val = (xv, xv)
        history = self.network.fit(
            xa,
            xa,
            loss=loss,
            optimizer=optimizer,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            validation_data=val,
            validation_split=validation_split,
            callbacks=callbacks,
            verbose=verbose,
        )
        self._follow_network()
        codes = to_numpy(self.encode(xa))  # the explorer's slider ranges, kept on the host
        self.latent_range = (codes.min(axis=0), codes.max(axis=0))
        return history

    def to(self, namespace_or_name: Any, device: Any = None) -> Autoencoder:
        """Move the network (encoder and decoder with it) to an array library and device.

        Parameters
        ----------
        namespace_or_name : str, module or array
            As for ``Sequential.to``.
        device : object, optional
            The device there.

        Returns
        -------
        Autoencoder
            The autoencoder itself.
        """
        self.network.to(namespace_or_name, device)
        self._follow_network()
        return self

    def _follow_network(self) -> None:
        """The encoder and decoder share the network's layers: they live where it does."""
        for part in (self.encoder, self.decoder):
            part.xp, part.device = self.network.xp, self.network.device
            part.train_state.pack = None

    # -- using it -----------------------------------------------------------------------
    def encode(self, x: np.ndarray) -> np.ndarray:
        """The bottleneck codes of X.

        Parameters
        ----------
        x : array of shape (N, input_dim)
            The data.

        Returns
        -------
        ndarray of shape (N, latent_dim)
            Z.
        """
        return self.encoder.predict(x)

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Reconstructions from codes.

        Parameters
        ----------
        z : array of shape (N, latent_dim)
            The codes.

        Returns
        -------
        ndarray of shape (N, input_dim)
            X̂.
        """
        return self.decoder.predict(z)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """decode(encode(X)).

        Parameters
        ----------
        x : array of shape (N, input_dim)
            The data.

        Returns
        -------
        ndarray of shape (N, input_dim)
            X̂.
        """
        return self.network.predict(x)

    def reconstruction_error(self, x: np.ndarray) -> np.ndarray:
        """Each sample's mean squared error between X and its reconstruction.

        Parameters
        ----------
        x : array of shape (N, input_dim)
            The data.

        Returns
        -------
        ndarray of shape (N,)
            The errors.
        """
        xa = as_2d_float(x, self.network.dtype)
        diff = self.reconstruct(xa) - xa
        return cast("np.ndarray", namespace_of(diff).mean(diff * diff, axis=1))

    def summary(self, print_fn: Any = print) -> None:
        """Print the network's layer table (``str(autoencoder.network)`` is its text).

        Parameters
        ----------
        print_fn : callable, default print
            Called once with the table.
        """
        self.network.summary(print_fn)

    def __repr__(self) -> str:
        return (
            f"Autoencoder(input_dim={self.input_dim}, latent_dim={self.latent_dim}, "
            f"output={self.network.output_activation}, noise={self.noise})"
        )
