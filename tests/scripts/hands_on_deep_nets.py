"""Hands-On Machine Learning, chapter 11: he_normal and lecun_normal initializers, SELU, LeakyReLU and
BatchNormalization layers, SGD with Nesterov momentum, gradient clipping, layer variables, with only the import
word changed."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

(X_train, y_train), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
X_train, X_test = X_train / 255.0, X_test / 255.0

dense = keras.layers.Dense(10, activation="relu", kernel_initializer="he_normal")
he_avg_init = keras.initializers.VarianceScaling(scale=2., mode="fan_avg", distribution="uniform")
dense2 = keras.layers.Dense(10, activation="sigmoid", kernel_initializer=he_avg_init)

selu_model = keras.models.Sequential()
selu_model.add(keras.layers.Flatten(input_shape=[28, 28]))
selu_model.add(keras.layers.Dense(64, activation="selu", kernel_initializer="lecun_normal"))
for layer in range(3):
    selu_model.add(keras.layers.Dense(32, activation="selu", kernel_initializer="lecun_normal"))
selu_model.add(keras.layers.Dense(10, activation="softmax"))
selu_model.compile(loss="sparse_categorical_crossentropy",
                   optimizer=keras.optimizers.SGD(learning_rate=1e-3), metrics=["accuracy"])
selu_history = selu_model.fit(X_train, y_train, epochs=2, validation_data=(X_test, y_test))

model = keras.models.Sequential([
    keras.layers.Flatten(input_shape=[28, 28]),
    keras.layers.BatchNormalization(),
    keras.layers.Dense(64, kernel_initializer="he_normal", use_bias=False),
    keras.layers.BatchNormalization(),
    keras.layers.LeakyReLU(negative_slope=0.2),
    keras.layers.Dense(32, kernel_initializer="he_normal", use_bias=False),
    keras.layers.BatchNormalization(),
    keras.layers.Activation("elu"),
    keras.layers.Dense(10, activation="softmax")
])
model.summary()
bn_variables = [(var.name, var.trainable) for var in model.layers[1].variables]
optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True, clipvalue=1.0)
model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
history = model.fit(X_train, y_train, epochs=3, validation_data=(X_test, y_test))
