"""Continuing a saved Keras model on new rows: its network trains further, its tokenizer
(the vocabulary) stays as it is, so the new version reads texts as the parent did.
Imported only for Keras kinds (it imports TensorFlow)."""

import keras
import numpy as np

from app.ml.keras_models import KerasTrainedModel, ProgressCallback, _targets
from app.ml.keras_networks import KerasParams, compile_network, end_to_end, vectorize
from app.ml.labels import Label
from app.ml.progress import ProgressFn


def _parts(model: keras.Model) -> tuple[keras.layers.TextVectorization, keras.Model]:
    """The end-to-end model's tokenizer and the network behind it."""
    tokenizer = next(
        layer for layer in model.layers if isinstance(layer, keras.layers.TextVectorization)
    )
    network = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    return tokenizer, network


def continue_keras(
    model: KerasTrainedModel,
    *,
    texts: list[str],
    labels: list[Label],
    params: KerasParams,
    epochs: int,
    progress: ProgressFn,
    random_state: int,
) -> tuple[KerasTrainedModel, dict[str, list[float]]]:
    keras.utils.set_random_seed(random_state)
    tokenizer, network = _parts(model.model)
    position = {str(c): i for i, c in enumerate(model.classes)}
    indices = np.asarray([position[str(y)] for y in labels])
    progress(0.0, f"vectorising {len(texts):,} new texts with the parent's vocabulary")
    compile_network(network, params, len(model.classes), model.multilabel)
    fitted = network.fit(
        vectorize(tokenizer, texts),
        _targets(indices, len(model.classes)),
        batch_size=params.batch_size,
        epochs=epochs,
        shuffle=True,
        callbacks=[ProgressCallback(progress, epochs, 0.05)],
        verbose=0,
    )
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    continued = KerasTrainedModel(
        preprocessor=model.preprocessor,
        classes=model.classes,
        model=end_to_end(tokenizer, network),
    )
    return continued, history
