"""Deep Learning with Python, chapter 5: fitting shuffled labels (memorisation), validation_split, reading
history_dict["val_loss"], an l2-regularized and a Dropout model, with only the import word changed."""
import numpy as np
from tensorflow.keras.datasets import mnist
from tensorflow import keras
from tensorflow.keras import layers, regularizers

(train_images, train_labels), _ = mnist.load_data()
train_images = train_images.reshape((len(train_images), 28 * 28))
train_images = train_images.astype("float32") / 255

random_train_labels = train_labels[:]
np.random.seed(0)
np.random.shuffle(random_train_labels)

model = keras.Sequential([
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="softmax")
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
random_history = model.fit(train_images, random_train_labels, epochs=2, batch_size=128, validation_split=0.2)

(train_images, train_labels), _ = mnist.load_data()
train_images = train_images.reshape((len(train_images), 28 * 28)).astype("float32") / 255
model = keras.Sequential([
    layers.Dense(64, kernel_regularizer=regularizers.l2(0.002), activation="relu"),
    layers.Dense(64, kernel_regularizer=regularizers.l2(0.002), activation="relu"),
    layers.Dense(10, activation="softmax")
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history_l2_reg = model.fit(train_images, train_labels, epochs=3, batch_size=64, validation_split=0.4)

model = keras.Sequential([
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax")
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(train_images, train_labels, epochs=3, batch_size=64, validation_split=0.4)
history_dict = history.history
loss_values = history_dict["loss"]
val_loss_values = history_dict["val_loss"]
epochs = range(1, len(loss_values) + 1)
