"""Hands-On Machine Learning, chapter 10: the Wide & Deep functional models (California-housing-shaped stand-in
data): a Normalization layer adapted to the data, Concatenate, "RootMeanSquaredError" by name, two inputs as a
tuple, two outputs with a loss tuple and loss_weights, evaluate(return_dict=True), predict's tuple and
model.output_names, with only the import word changed."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.default_rng(42)
X = rng.normal(size=(400, 8)).astype("float32") * [1, 10, 2, 1, 100, 3, 1, 1] + [0, 30, 5, 1, 1000, 3, 35, -119]
y = (X[:, 0] * 0.5 + X[:, 6] * 0.01 + rng.normal(size=400) * 0.1).reshape(-1, 1)
X_train, X_valid, X_test = X[:256], X[256:320], X[320:]
y_train, y_valid, y_test = y[:256], y[256:320], y[320:]

keras.utils.set_random_seed(42)
normalization_layer = keras.layers.Normalization()
hidden_layer1 = keras.layers.Dense(30, activation="relu")
hidden_layer2 = keras.layers.Dense(30, activation="relu")
concat_layer = keras.layers.Concatenate()
output_layer = keras.layers.Dense(1)

input_ = keras.layers.Input(shape=X_train.shape[1:])
normalized = normalization_layer(input_)
hidden1 = hidden_layer1(normalized)
hidden2 = hidden_layer2(hidden1)
concat = concat_layer([normalized, hidden2])
output = output_layer(concat)
model = keras.Model(inputs=[input_], outputs=[output])
model.summary()
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
model.compile(loss="mse", optimizer=optimizer, metrics=["RootMeanSquaredError"])
normalization_layer.adapt(X_train)
first_history = model.fit(X_train, y_train, epochs=3, validation_data=(X_valid, y_valid))
mse_test, rmse_test = model.evaluate(X_test, y_test)
y_pred_one = model.predict(X_test[:3])

input_wide = keras.layers.Input(shape=[5])
input_deep = keras.layers.Input(shape=[6])
norm_layer_wide = keras.layers.Normalization()
norm_layer_deep = keras.layers.Normalization()
norm_wide = norm_layer_wide(input_wide)
norm_deep = norm_layer_deep(input_deep)
hidden1 = keras.layers.Dense(30, activation="relu")(norm_deep)
hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
concat = keras.layers.concatenate([norm_wide, hidden2])
output = keras.layers.Dense(1)(concat)
aux_output = keras.layers.Dense(1)(hidden2)
model = keras.Model(inputs=[input_wide, input_deep], outputs=[output, aux_output])

optimizer = keras.optimizers.Adam(learning_rate=1e-3)
model.compile(loss=("mse", "mse"), loss_weights=(0.9, 0.1), optimizer=optimizer,
              metrics=["RootMeanSquaredError", "RootMeanSquaredError"])
X_train_wide, X_train_deep = X_train[:, :5], X_train[:, 2:]
X_valid_wide, X_valid_deep = X_valid[:, :5], X_valid[:, 2:]
X_test_wide, X_test_deep = X_test[:, :5], X_test[:, 2:]
X_new_wide, X_new_deep = X_test_wide[:3], X_test_deep[:3]
norm_layer_wide.adapt(X_train_wide)
norm_layer_deep.adapt(X_train_deep)
history = model.fit((X_train_wide, X_train_deep), (y_train, y_train), epochs=3,
                    validation_data=((X_valid_wide, X_valid_deep), (y_valid, y_valid)))
eval_results = model.evaluate((X_test_wide, X_test_deep), (y_test, y_test), return_dict=True)
y_pred_main, y_pred_aux = model.predict((X_new_wide, X_new_deep))
y_pred_tuple = model.predict((X_new_wide, X_new_deep))
y_pred = dict(zip(model.output_names, y_pred_tuple))
