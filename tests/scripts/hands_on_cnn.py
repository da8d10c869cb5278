"""Hands-On Machine Learning, chapter 14: the Fashion-MNIST CNN built with functools.partial(Conv2D, ...),
MaxPool2D, Dense(units=...), "nadam" by name, X[..., np.newaxis], evaluate and predict, with only the import
word changed (much smaller)."""
from functools import partial
import numpy as np
import tensorflow as tf
from tensorflow import keras

(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
X_train_full = X_train_full / 255.0
X_test = X_test / 255.0
X_train, X_valid = X_train_full[64:], X_train_full[:64]
y_train, y_valid = y_train_full[64:], y_train_full[:64]
X_train = X_train[..., np.newaxis]
X_valid = X_valid[..., np.newaxis]
X_test = X_test[..., np.newaxis]

keras.utils.set_random_seed(42)
DefaultConv2D = partial(keras.layers.Conv2D, kernel_size=3, padding="same", activation="relu",
                        kernel_initializer="he_normal")
model = keras.Sequential([
    keras.layers.Input(shape=[28, 28, 1]),
    DefaultConv2D(filters=8, kernel_size=7),
    keras.layers.MaxPool2D(),
    DefaultConv2D(filters=16),
    DefaultConv2D(filters=16),
    keras.layers.MaxPool2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(units=32, activation="relu", kernel_initializer="he_normal"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(units=10, activation="softmax")
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="nadam", metrics=["accuracy"])
history = model.fit(X_train, y_train, epochs=3, validation_data=(X_valid, y_valid))
score = model.evaluate(X_test, y_test)
X_new = X_test[:10]
y_pred = model.predict(X_new)
