"""Hand-written loops over train_on_batch / test_on_batch / predict_on_batch (the Keras 2 GAN-tutorial style),
metrics_names, reset_metrics, return_dict=True, and model.metrics after training, with only the import word
changed."""
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., None].astype("float32") / 255
x_test = x_test[..., None].astype("float32") / 255
y_train_cat = keras.utils.to_categorical(y_train, 10)

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="categorical_crossentropy", metrics=["accuracy"])

epoch_losses = []
batch_size = 64
for epoch in range(3):
    model.reset_metrics()
    for start in range(0, len(x_train), batch_size):
        logs = model.train_on_batch(x_train[start:start + batch_size], y_train_cat[start:start + batch_size])
    epoch_losses.append(float(logs[0]))
    print(epoch, dict(zip(model.metrics_names, logs)))

test_logs = model.test_on_batch(x_test[:32], keras.utils.to_categorical(y_test[:32], 10), return_dict=True)
train_logs = model.train_on_batch(x_train[:32], y_train_cat[:32], return_dict=True)
batch_predictions = model.predict_on_batch(x_test[:16])
names = model.metrics_names
