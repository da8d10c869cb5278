"""Feeding fit from Python: a keras.utils.PyDataset subclass (Keras 3's replacement of Sequence) for training
and validation, an endless generator with steps_per_epoch and validation_steps, and predict/evaluate on a
PyDataset, with only the import word changed."""
import math
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., None].astype("float32") / 255
x_test = x_test[..., None].astype("float32") / 255


class MNISTSequence(keras.utils.PyDataset):
    def __init__(self, x_set, y_set, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x_set, y_set
        self.batch_size = batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        low = idx * self.batch_size
        high = min(low + self.batch_size, len(self.x))
        batch_x = self.x[low:high]
        batch_y = self.y[low:high]
        return batch_x, keras.utils.to_categorical(batch_y, 10)


model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
train_seq = MNISTSequence(x_train, y_train, 32)
val_seq = MNISTSequence(x_test, y_test, 32)
first_history = model.fit(train_seq, epochs=2, validation_data=val_seq)
seq_predictions = model.predict(MNISTSequence(x_test, y_test, 32))
seq_score = model.evaluate(val_seq, verbose=0)


def batch_generator(x, y, batch_size):
    rng = np.random.default_rng(0)
    while True:
        index = rng.integers(0, len(x), batch_size)
        yield x[index], keras.utils.to_categorical(y[index], 10)


history = model.fit(batch_generator(x_train, y_train, 32), steps_per_epoch=6, epochs=3,
                    validation_data=batch_generator(x_test, y_test, 32), validation_steps=2)
