"""Lambda layers as users write them for small preprocessing steps: scaling uint8 pixels and adding the channel
axis with keras.ops inside a Sequential, and a functional model with a Lambda between layers, with only the import
word changed."""
import numpy as np
import keras
from keras import layers, ops

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()

model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.Lambda(lambda x: x / 255.0),
    layers.Lambda(lambda x: ops.expand_dims(x, -1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
first_history = model.fit(x_train.astype("float32"), y_train, epochs=2, batch_size=32)

inputs = keras.Input(shape=(784,))
x = layers.Dense(32, activation="relu")(inputs)
x = layers.Lambda(lambda t: t * ops.sigmoid(t), name="swish_by_hand")(x)
outputs = layers.Dense(10, activation="softmax")(x)
functional = keras.Model(inputs, outputs)
functional.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = functional.fit(x_train.reshape(-1, 784).astype("float32") / 255, y_train, epochs=3, batch_size=64,
                         validation_split=0.2)
predictions = functional.predict(x_test.reshape(-1, 784).astype("float32") / 255)
