"""Metric objects and string aliases as users mix them: "acc", Precision/Recall/AUC objects on a sigmoid binary
classifier, then "mae" and "mse" on a regression head, evaluate(return_dict=True), with only the import word
changed."""
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
is_small_train = (y_train < 5).astype("float32")
is_small_test = (y_test < 5).astype("float32")

binary = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
binary.compile(optimizer="adam", loss="binary_crossentropy",
               metrics=["acc", keras.metrics.Precision(), keras.metrics.Recall(), keras.metrics.AUC()])
binary_history = binary.fit(x_train, is_small_train, epochs=3, batch_size=32,
                            validation_data=(x_test, is_small_test))
binary_results = binary.evaluate(x_test, is_small_test, verbose=0, return_dict=True)

regression = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
regression.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae", "mse"])
history = regression.fit(x_train, y_train.astype("float32"), epochs=3, batch_size=32, validation_split=0.25)
regression_results = regression.evaluate(x_test, y_test.astype("float32"), verbose=0)
