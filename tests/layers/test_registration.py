"""Every layer of `xlm_keras.layers` is registered under the `xlm_keras`
package, so a saved model names it and loads it without custom_objects."""

import keras
import pytest

from xlm_keras import layers

LAYERS = [
    value
    for value in vars(layers).values()
    if isinstance(value, type) and issubclass(value, keras.layers.Layer)
]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.__name__)
def test_layer_is_registered(layer):
    name = f"xlm_keras>{layer.__name__}"
    assert keras.saving.get_registered_name(layer) == name
    assert keras.saving.get_registered_object(name) is layer
