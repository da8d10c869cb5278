"""A keras.Model subclass CNN in the TensorFlow "expert" quickstart's shape (layers in __init__, call(x)), with
compile/fit/evaluate, summary after it is built, predict().argmax(axis=1) and np.argmax(model(x), -1), with only
the import word changed."""
import numpy as np
import keras
from keras import layers


class MyModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(8, 3, activation='relu')
        self.pool = layers.MaxPooling2D()
        self.flatten = layers.Flatten()
        self.d1 = layers.Dense(32, activation='relu')
        self.d2 = layers.Dense(10)

    def call(self, x, training=False):
        x = self.conv1(x)
        x = self.pool(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
x_train = x_train[..., np.newaxis].astype("float32")
x_test = x_test[..., np.newaxis].astype("float32")

model = MyModel()
model.compile(optimizer=keras.optimizers.Adam(),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
history = model.fit(x_train, y_train, epochs=3, batch_size=32, validation_data=(x_test, y_test))
model.summary()
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
predicted = model.predict(x_test).argmax(axis=1)
first_five = np.argmax(model(x_test[:5]), -1)
n_layers = len(model.layers)
n_params = model.count_params()
