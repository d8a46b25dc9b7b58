"""Lambda layers claimed by a plugin by their layer names (``@keras2java.lambda_layer``,
``examples/plugins/lambda_layers.py``), against Keras: Keras 3 .keras and tf-keras
.h5 models holding the Lambdas the example describes, converted with the plugin,
compiled, run and compared with Keras' outputs within 1e-5; an unclaimed Lambda is
refused with a message naming the decorator."""
from __future__ import annotations

import pytest

from support.harness import JavaBatch
from support.keras_cases import keras, keras_outputs, random_samples, randomize, tf_keras
from support.util import REPO

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

PLUGIN = REPO / "examples" / "plugins" / "lambda_layers.py"


def _gate3(t):
    from keras import ops
    return t * ops.sigmoid(t)


def _mean3(t):
    from keras import ops
    return ops.mean(t, axis=1)


def _gate2(t):
    from tf_keras import backend
    return t * backend.sigmoid(t)


def _mean2(t):
    from tf_keras import backend
    return backend.mean(t, axis=1)


def _model(k, version: int, steps=None, names=("self_gate", "mean_over_time")):
    """Dense -> Lambda self_gate -> LSTM(return_sequences) -> Lambda mean_over_time -> Dense."""
    gate, mean = (_gate3, _mean3) if version >= 3 else (_gate2, _mean2)
    x = k.Input((steps, 4))
    h = k.layers.Lambda(gate, name=names[0])(k.layers.Dense(5)(x))
    h = k.layers.Lambda(mean, name=names[1])(k.layers.LSTM(6, return_sequences=True)(h))
    return k.Model(x, k.layers.Dense(3)(h))


CASES = {"keras3_variable": (keras, 3, None), "keras3_fixed": (keras, 3, 7),
         "tf_keras_variable": (tf_keras, 2, None), "tf_keras_fixed": (tf_keras, 2, 6)}


@pytest.fixture(scope="module")
def registered():
    from keras2java.ops.base import unregister_plugins
    from keras2java.plugin_loader import load_plugins

    unregister_plugins()
    assert set(load_plugins([str(PLUGIN)], entry_points=False)) == {"Lambda:self_gate", "Lambda:mean_over_time"}
    yield
    unregister_plugins()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, registered):
    work = tmp_path_factory.mktemp("lambda")
    b = JavaBatch(work)
    for n, (name, (make, version, steps)) in enumerate(CASES.items()):
        k = make()
        k.utils.set_random_seed(40 + n)
        model = _model(k, version, steps)
        randomize(model, 40 + n)
        path = work / (name + (".keras" if version >= 3 else ".h5"))
        model.save(str(path))
        samples = random_samples(model, 12, 50 + n, steps=(1, 9), scale=2.0)
        b.add(name, str(path), samples, keras_outputs(model, samples), package=f"k2jtest.lam.c{n}", class_name="M")
    b.run()
    return b


@pytest.mark.parametrize("case", list(CASES))
def test_claimed_lambdas_match_keras(case, batch):
    batch.cases[case].check()


def test_unclaimed_lambda_names_the_way_out(tmp_path, registered):
    """Lambdas no plugin claims are refused by name, the message naming the decorator."""
    from keras2java import UnsupportedModelError, convert

    k = keras()
    _model(k, 3, names=("gate_b", "mean_b")).save(tmp_path / "m.keras")
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(tmp_path / "m.keras"), str(tmp_path / "out"), package="p", class_name="M")
    text = str(err.value)
    assert "@keras2java.lambda_layer('gate_b')" in text and "@keras2java.lambda_layer('mean_b')" in text
    assert not (tmp_path / "out").exists()


def test_a_lambda_name_claimed_twice_is_refused(registered):
    import keras2java
    from keras2java.errors import PluginError

    with pytest.raises(PluginError, match="Lambda layer 'self_gate' is already registered by plugin"):
        keras2java.lambda_layer("self_gate")(lambda ctx: None)
