"""Hands-On Machine Learning (Géron), chapter 10: the Fashion-MNIST MLP with Flatten(input_shape=...), layer
inspection (model.layers, get_layer, get_weights), SGD by name, history.params/epoch, predict().round and
argmax, class names, with only the import word changed."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

fashion_mnist = keras.datasets.fashion_mnist
(X_train_full, y_train_full), (X_test, y_test) = fashion_mnist.load_data()
print(X_train_full.shape, X_train_full.dtype)
X_valid, X_train = X_train_full[:64] / 255.0, X_train_full[64:] / 255.0
y_valid, y_train = y_train_full[:64], y_train_full[64:]
X_test = X_test / 255.0
class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

keras.utils.set_random_seed(42)
model = keras.models.Sequential()
model.add(keras.layers.Flatten(input_shape=[28, 28]))
model.add(keras.layers.Dense(300, activation="relu"))
model.add(keras.layers.Dense(100, activation="relu"))
model.add(keras.layers.Dense(10, activation="softmax"))
model.summary()

layer_names = [layer.name for layer in model.layers]
hidden1 = model.layers[1]
print(hidden1.name)
assert model.get_layer(hidden1.name) is hidden1
weights, biases = hidden1.get_weights()
print(weights.shape, biases.shape)

model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
history = model.fit(X_train, y_train, epochs=3, validation_data=(X_valid, y_valid))
print(history.params, history.epoch)
model.evaluate(X_test, y_test)

X_new = X_test[:3]
y_proba = model.predict(X_new)
print(y_proba.round(2))
y_pred = np.argmax(model.predict(X_new), axis=-1)
print(np.array(class_names)[y_pred])
y_new = y_test[:3]
