"""keras.io's "Making new layers and models via subclassing": a Linear layer with build/add_weight/call written
with keras.ops, a layer that adds an activity loss, get_config, and a keras.Model subclass of them, trained with
fit, with only the import word changed."""
import numpy as np
import keras
from keras import layers
from keras import ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


x = ops.ones((2, 2))
linear_layer = Linear(4)
y = linear_layer(x)
print(y)
assert len(linear_layer.weights) == 2 and len(linear_layer.trainable_weights) == 2
config = linear_layer.get_config()
new_layer = Linear.from_config(config)


class MLPBlock(keras.Model):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.regularizer = ActivityRegularizationLayer(1e-3)
        self.linear_2 = Linear(10)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = keras.activations.relu(x)
        x = self.regularizer(x)
        return self.linear_2(x)


(x_train, y_train), _ = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
model = MLPBlock()
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=64, epochs=3)
logits = model(x_train[:5])
guesses = np.argmax(logits, -1)
n_weights = len(model.weights)
