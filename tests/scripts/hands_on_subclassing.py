"""Hands-On Machine Learning, chapter 10: the Wide & Deep model as a keras.Model subclass (layers made in
__init__, two inputs unpacked in call, two outputs), trained with a loss tuple (Keras 3 refuses
the book's single loss="mse" with two loss_weights), with only the import word changed."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.default_rng(1)
X = rng.normal(size=(320, 8)).astype("float32")
y = (X[:, 0] - 0.5 * X[:, 3] + 0.1 * rng.normal(size=320)).reshape(-1, 1).astype("float32")
X_train_wide, X_train_deep, y_train = X[:256, :5], X[:256, 2:], y[:256]
X_valid_wide, X_valid_deep, y_valid = X[256:, :5], X[256:, 2:], y[256:]


class WideAndDeepModel(keras.Model):
    def __init__(self, units=30, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.norm_layer_wide = keras.layers.Normalization()
        self.norm_layer_deep = keras.layers.Normalization()
        self.hidden1 = keras.layers.Dense(units, activation=activation)
        self.hidden2 = keras.layers.Dense(units, activation=activation)
        self.main_output = keras.layers.Dense(1)
        self.aux_output = keras.layers.Dense(1)

    def call(self, inputs):
        input_wide, input_deep = inputs
        norm_wide = self.norm_layer_wide(input_wide)
        norm_deep = self.norm_layer_deep(input_deep)
        hidden1 = self.hidden1(norm_deep)
        hidden2 = self.hidden2(hidden1)
        concat = keras.layers.concatenate([norm_wide, hidden2])
        output = self.main_output(concat)
        aux_output = self.aux_output(hidden2)
        return output, aux_output


keras.utils.set_random_seed(42)
model = WideAndDeepModel(30, activation="relu", name="my_cool_model")
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
model.compile(loss=("mse", "mse"), loss_weights=[0.9, 0.1], optimizer=optimizer,
              metrics=["RootMeanSquaredError", "RootMeanSquaredError"])
model.norm_layer_wide.adapt(X_train_wide)
model.norm_layer_deep.adapt(X_train_deep)
history = model.fit((X_train_wide, X_train_deep), (y_train, y_train), epochs=3,
                    validation_data=((X_valid_wide, X_valid_deep), (y_valid, y_valid)))
eval_results = model.evaluate((X_valid_wide, X_valid_deep), (y_valid, y_valid))
y_pred_main, y_pred_aux = model.predict((X_valid_wide[:3], X_valid_deep[:3]))
model.summary()
