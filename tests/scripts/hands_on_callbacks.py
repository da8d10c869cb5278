"""Hands-On Machine Learning, chapter 10: ModelCheckpoint(save_best_only=True) to .keras, EarlyStopping with
restore_best_weights, a custom Callback subclass reading logs, clear_session, load_model of the best model,
with only the import word changed."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
X_valid, X_train = X_train_full[:64] / 255.0, X_train_full[64:] / 255.0
y_valid, y_train = y_train_full[:64], y_train_full[64:]
X_test = X_test / 255.0

keras.backend.clear_session()
np.random.seed(42)
keras.utils.set_random_seed(42)

model = keras.models.Sequential([
    keras.layers.Flatten(input_shape=[28, 28]),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(10, activation="softmax")
])
model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=1e-2),
              metrics=["accuracy"])


class PrintValTrainRatioCallback(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ratios = []

    def on_epoch_end(self, epoch, logs):
        ratio = logs["val_loss"] / logs["loss"]
        self.ratios.append(ratio)
        print("\nval/train: {:.2f}".format(ratio))


checkpoint_cb = keras.callbacks.ModelCheckpoint("my_keras_model.keras", save_best_only=True)
early_stopping_cb = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
val_train_ratio_cb = PrintValTrainRatioCallback()
history = model.fit(X_train, y_train, epochs=3, validation_data=(X_valid, y_valid),
                    callbacks=[checkpoint_cb, early_stopping_cb, val_train_ratio_cb])
model = keras.models.load_model("my_keras_model.keras")
mse_test = model.evaluate(X_test, y_test)
ratios = val_train_ratio_cb.ratios
