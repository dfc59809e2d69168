"""Keras building blocks: the tokenizer, one network per kind, and the end-to-end model that
takes raw strings. Imported only through `app.ml.keras_models` (it imports TensorFlow)."""

import keras
import numpy as np
import tensorflow as tf

from shared.schemas import KerasBilstmParams, KerasCnnParams

KerasParams = KerasCnnParams | KerasBilstmParams

# Width of the dense layer between the sequence encoder and the output.
HIDDEN_UNITS = 64
# Texts per batch when adapting or vectorising; bounds memory, not results.
TEXT_BATCH = 2048


def build_vectorizer(params: KerasParams, texts: list[str]) -> keras.layers.TextVectorization:
    """A TextVectorization adapted on `texts`. It only splits off punctuation: case and the
    rest are the Preprocessor's decision, made before the texts get here."""
    vectorizer = keras.layers.TextVectorization(
        max_tokens=params.max_tokens,
        output_mode="int",
        output_sequence_length=params.sequence_length,
        standardize="strip_punctuation",
        name="tokenizer",
    )
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(TEXT_BATCH))
    return vectorizer


def vectorize(vectorizer: keras.layers.TextVectorization, texts: list[str]) -> np.ndarray:
    """Token ids, shape (n_texts, sequence_length), computed once so epochs reuse them."""
    chunks = [
        vectorizer(tf.constant(texts[i : i + TEXT_BATCH])).numpy().astype(np.int32)
        for i in range(0, len(texts), TEXT_BATCH)
    ]
    return np.concatenate(chunks)


def _output_layer(n_classes: int, multilabel: bool = False) -> keras.layers.Dense:
    if multilabel:  # one sigmoid unit per label: each label's own probability
        return keras.layers.Dense(n_classes, activation="sigmoid", name="proba")
    if n_classes == 2:  # one sigmoid unit: the positive class's probability
        return keras.layers.Dense(1, activation="sigmoid", name="proba")
    return keras.layers.Dense(n_classes, activation="softmax", name="proba")


def _head(
    encoded: keras.KerasTensor, params: KerasParams, n_classes: int, multilabel: bool
) -> keras.KerasTensor:
    x = keras.layers.Dropout(params.dropout)(encoded)
    x = keras.layers.Dense(HIDDEN_UNITS, activation="relu")(x)
    x = keras.layers.Dropout(params.dropout)(x)
    return _output_layer(n_classes, multilabel)(x)


def build_cnn(
    params: KerasCnnParams, vocab_size: int, n_classes: int, multilabel: bool = False
) -> keras.Model:
    """embedding → Conv1D → global max pool → dense."""
    tokens = keras.Input(shape=(params.sequence_length,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, params.embedding_dim)(tokens)
    x = keras.layers.SpatialDropout1D(params.dropout / 2)(x)
    x = keras.layers.Conv1D(params.filters, params.kernel_size, activation="relu")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    return keras.Model(tokens, _head(x, params, n_classes, multilabel), name="keras_cnn")


def build_bilstm(
    params: KerasBilstmParams, vocab_size: int, n_classes: int, multilabel: bool = False
) -> keras.Model:
    """embedding → bidirectional LSTM → dense. Padding is masked so the forward direction
    ends on the text's last word, not on padding."""
    tokens = keras.Input(shape=(params.sequence_length,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, params.embedding_dim, mask_zero=True)(tokens)
    x = keras.layers.SpatialDropout1D(params.dropout / 2)(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(params.units))(x)
    return keras.Model(tokens, _head(x, params, n_classes, multilabel), name="keras_bilstm")


def build_network(
    params: KerasParams, vocab_size: int, n_classes: int, multilabel: bool = False
) -> keras.Model:
    """The kind's network; multi-label: `n_classes` is the number of labels, each a sigmoid."""
    if isinstance(params, KerasCnnParams):
        network = build_cnn(params, vocab_size, n_classes, multilabel)
    else:
        network = build_bilstm(params, vocab_size, n_classes, multilabel)
    compile_network(network, params, n_classes, multilabel)
    return network


def compile_network(
    network: keras.Model, params: KerasParams, n_classes: int, multilabel: bool = False
) -> None:
    """The optimizer, loss and metrics a network trains with (at a fit, and again when a
    saved network continues training)."""
    binary = n_classes == 2 or multilabel
    network.compile(
        optimizer=keras.optimizers.Adam(learning_rate=params.learning_rate),
        loss="binary_crossentropy" if binary else "categorical_crossentropy",
        metrics=[
            keras.metrics.BinaryAccuracy(name="accuracy")
            if binary
            else keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.AUC(name="auc"),  # multiclass: micro-averaged over one-hot labels
        ],
    )


def end_to_end(vectorizer: keras.layers.TextVectorization, network: keras.Model) -> keras.Model:
    """One model from raw (already preprocessed) strings to probabilities: what is saved.

    It wraps an uncompiled copy of the trained network, so the saved file holds no optimizer
    state (Adam's two moments would triple its size) and nothing serving does not need."""
    serving = keras.Model.from_config(network.get_config())  # clone_model() would compile it
    serving.set_weights(network.get_weights())
    texts = keras.Input(shape=(), dtype="string", name="texts")
    return keras.Model(texts, serving(vectorizer(texts)), name="text_classifier")
