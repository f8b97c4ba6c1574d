"""Autoencoders: shapes, the mirrored decoder, output/loss chosen from the data,
denoising, persistence — and beating PCA on the digits."""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense
from mlpkit.autoencoder import Autoencoder
from mlpkit.reduction import compare_with_pca


def test_shapes_and_the_mirrored_decoder(rng):
    ae = Autoencoder([10, 6, 3, 2], seed=0)
    assert [layer.out_features for layer in ae.decoder.layers] == [3, 6, 10]
    x = rng.uniform(size=(7, 10))
    z = ae.encode(x)
    assert z.shape == (7, 2) and ae.decode(z).shape == (7, 10)
    np.testing.assert_allclose(ae.reconstruct(x), ae.decode(z), rtol=1e-6)
    err = ae.reconstruction_error(x)
    np.testing.assert_allclose(
        err, np.mean((ae.reconstruct(x) - x.astype(np.float32)) ** 2, axis=1), rtol=1e-6
    )
    assert err.shape == (7,)


def test_encoder_and_decoder_share_the_trained_weights(rng):
    ae = Autoencoder([6, 4, 2], seed=0)
    x = rng.uniform(size=(32, 6))
    before = ae.encode(x)
    ae.fit(x, epochs=3, verbose=0)
    assert not np.allclose(before, ae.encode(x))
    assert ae.encoder.layers[0] is ae.network.layers[0]
    assert ae.decoder.layers[-1] is ae.network.layers[-1]


def test_explicit_sequential_encoder_and_decoder(rng):
    enc = mlpkit.Sequential([Dense(5, 3, "tanh"), Dense(3, 2)], seed=1)
    dec = mlpkit.Sequential([Dense(2, 3, "tanh"), Dense(3, 5)], seed=2)
    ae = Autoencoder(enc, dec)
    x = rng.normal(size=(20, 5))
    ae.fit(x, epochs=2, verbose=0)
    assert ae.latent_dim == 2 and ae.network.loss.name == "mse"


def test_output_and_loss_follow_the_data(rng):
    pixels = Autoencoder([4, 2], seed=0)
    pixels.fit(rng.uniform(size=(16, 4)), epochs=1, verbose=0)
    assert (
        pixels.network.output_activation == "sigmoid"
        and pixels.network.loss.name == "binary_cross_entropy"
    )
    values = Autoencoder([4, 2], seed=0)
    values.fit(rng.normal(size=(16, 4)), epochs=1, verbose=0)
    assert values.network.output_activation == "identity" and values.network.loss.name == "mse"
    forced = Autoencoder([4, 2], output_activation="tanh", seed=0)
    forced.fit(rng.uniform(size=(16, 4)), epochs=1, loss="mse", verbose=0)
    assert forced.network.output_activation == "tanh"


def test_denoising_noise_is_added_in_training_only(rng):
    ae = Autoencoder([8, 4], noise=0.5, seed=0, dtype="float64")
    noise_layer = ae.network.layers[0]
    assert isinstance(noise_layer, mlpkit.layers.GaussianNoise)
    x = np.zeros((2000, 8))
    noisy = noise_layer.forward(x, training=True)
    assert abs(noisy.std() - 0.5) < 0.01
    np.testing.assert_array_equal(noise_layer.forward(x, training=False), x)
    np.testing.assert_array_equal(ae.reconstruct(x[:5]), ae.reconstruct(x[:5]))  # deterministic
    # the targets stay clean, so a denoising model learns to map noisy → clean: on
    # corrupted inputs it beats the same autoencoder trained without noise
    rng2 = np.random.default_rng(0)
    clean = np.eye(8)[rng2.integers(0, 8, 400)]
    corrupted = clean + rng2.normal(0, 0.4, clean.shape)
    errors = {}
    for amount in (0.0, 0.4):
        model = Autoencoder([8, 16, 8], noise=amount, activation="relu", seed=1)
        model.fit(
            clean, epochs=60, batch_size=32, optimizer=mlpkit.optimizers.Adam(lr=0.01), verbose=0
        )
        errors[amount] = np.mean((model.reconstruct(corrupted) - clean) ** 2)
    assert errors[0.4] < 0.6 * errors[0.0]


def test_autoencoder_round_trips_through_save(tmp_path, rng):
    ae = Autoencoder([6, 4, 2], noise=0.1, seed=3)
    x = rng.uniform(size=(30, 6))
    ae.fit(x, epochs=2, verbose=0)
    back = mlpkit.load(mlpkit.save(ae, tmp_path / "ae.mlpk"))
    assert isinstance(back, Autoencoder) and back.noise == 0.1
    np.testing.assert_array_equal(back.encode(x), ae.encode(x))
    np.testing.assert_array_equal(back.reconstruct(x), ae.reconstruct(x))
    for a, b in zip(back.latent_range, ae.latent_range, strict=True):
        np.testing.assert_array_equal(a, b)
    back.fit(x, epochs=1, verbose=0)  # and it resumes training


def test_bad_sizes():
    with pytest.raises(ValueError, match="at least"):
        Autoencoder([5])
    with pytest.raises(
        ValueError, match=r"decoder sizes \[3, 5\] must run from the bottleneck \(2\)"
    ):
        Autoencoder([5, 2], decoder=[3, 5])


def test_autoencoder_beats_pca_2_on_digits():
    """The issue's bar: a 2-D bottleneck reconstructs the digits better than PCA-2 and
    keeps neighbourhoods better too."""
    x, _ = mlpkit.datasets.load_digits()
    ae = Autoencoder([64, 128, 32, 2], seed=0)
    ae.fit(x, epochs=60, batch_size=32, optimizer=mlpkit.optimizers.Adam(lr=2e-3), verbose=0)
    result = compare_with_pca(ae, x, n_neighbors=10)
    assert result["autoencoder"]["reconstruction_mse"] < 0.8 * result["pca"]["reconstruction_mse"]
    assert result["autoencoder"]["trustworthiness"] > result["pca"]["trustworthiness"]
    assert result["autoencoder"]["knn_preservation"] > result["pca"]["knn_preservation"]
