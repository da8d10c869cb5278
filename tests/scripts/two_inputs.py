"""A two-input functional model (an image and a vector of side information, concatenated), as the keras.io
guide's multi-input models are built, with only the import word changed."""
import numpy as np
import keras
from keras import layers

(x_train, y_train), _ = keras.datasets.mnist.load_data()
images = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
side = np.stack([images.mean(axis=(1, 2, 3)), images.std(axis=(1, 2, 3))], axis=1)

image_input = keras.Input(shape=(28, 28, 1), name="image")
side_input = keras.Input(shape=(2,), name="side")
x = layers.Conv2D(8, 3, activation="relu")(image_input)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
x = layers.concatenate([x, layers.Dense(4, activation="relu")(side_input)])
digit = layers.Dense(10, activation="softmax", name="digit")(x)
model = keras.Model(inputs=[image_input, side_input], outputs=digit)
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit({"image": images, "side": side}, y_train, batch_size=64, epochs=3, validation_split=0.2)
predictions = model.predict([images[:8], side[:8]])
