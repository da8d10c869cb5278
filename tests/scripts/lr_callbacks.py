"""Learning-rate handling as users write it: ReduceLROnPlateau, LearningRateScheduler with (epoch, lr),
reading model.optimizer.learning_rate (float() and keras.ops.convert_to_numpy), setting it between fits, an
ExponentialDecay schedule, CSVLogger and TerminateOnNaN, with only the import word changed."""
import math
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255


def make_model():
    return keras.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def scheduler(epoch, lr):
    if epoch < 1:
        return lr
    return float(lr * math.exp(-0.1))


model = make_model()
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
first_lr = float(model.optimizer.learning_rate)
schedule_history = model.fit(x_train, y_train, epochs=3, batch_size=64,
                             callbacks=[keras.callbacks.LearningRateScheduler(scheduler, verbose=1)])
scheduled_lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))

model.optimizer.learning_rate = 0.05
set_lr = float(model.optimizer.learning_rate)
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=1, min_lr=1e-5, verbose=1)
history = model.fit(x_train, y_train, epochs=3, batch_size=64, validation_data=(x_test, y_test),
                    callbacks=[reduce_lr, keras.callbacks.CSVLogger("training.log"),
                               keras.callbacks.TerminateOnNaN()])
with open("training.log") as f:
    log_header = f.readline().strip().split(",")

lr_schedule = keras.optimizers.schedules.ExponentialDecay(initial_learning_rate=1e-2, decay_steps=10,
                                                          decay_rate=0.9)
decayed = make_model()
decayed.compile(optimizer=keras.optimizers.Adam(learning_rate=lr_schedule), loss="sparse_categorical_crossentropy")
decayed_history = decayed.fit(x_train, y_train, epochs=2, batch_size=64, verbose=0)
