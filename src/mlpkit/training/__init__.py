"""Training: what ``Sequential.fit`` and ``evaluate`` run.

=============  ==============================================================
module         what it holds
=============  ==============================================================
state.py       the parameter pack and what a model keeps between fit calls
arguments.py   fit's arguments checked: head, optimizer, metrics, data, weights
sources.py     the batch sources: NumPy in memory, device arrays, Dask streams
steps.py       the named steps and updates (layer by layer, unrolled, compiled)
choose.py      which step and update a fit runs: by exact type, then measured
loop.py        the one epoch loop
evaluation.py  loss and metrics on data (and each epoch's validation)
fitting.py     fit itself
=============  ==============================================================

The package works on the model through its public methods only (``check_input``,
``head``, ``loss_and_gradients``, ``logits``, ``named_parameters`` ...), so it imports
no model class: ``network.Sequential`` calls into it.
"""

from .evaluation import evaluate
from .fitting import fit
from .state import ParameterPack, TrainingState

__all__ = ["ParameterPack", "TrainingState", "evaluate", "fit"]
