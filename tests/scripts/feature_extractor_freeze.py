"""keras.io's "The Sequential model" guide: add() after an Input, named layers, a feature extractor
keras.Model(model.inputs, model.get_layer(...).output) and one from model.layers[-2].output, then freezing with
layer.trainable = False and a recompile (len(trainable_weights), count_params), to_json/model_from_json and
get/set_weights, with only the import word changed."""
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., None].astype("float32") / 255
x_test = x_test[..., None].astype("float32") / 255

model = keras.Sequential()
model.add(keras.Input(shape=(28, 28, 1)))
model.add(layers.Conv2D(8, 3, strides=2, activation="relu", name="conv_a"))
model.add(layers.Conv2D(16, 3, activation="relu", name="my_intermediate_layer"))
model.add(layers.GlobalMaxPooling2D())
model.add(layers.Dense(16, activation="relu", name="embedding"))
model.add(layers.Dense(10, activation="softmax", name="head"))
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
first_history = model.fit(x_train, y_train, epochs=2, batch_size=32)

feature_extractor = keras.Model(
    inputs=model.inputs,
    outputs=model.get_layer(name="my_intermediate_layer").output,
)
features = feature_extractor(x_train[:4])
embedder = keras.Model(model.inputs, model.layers[-2].output)
embeddings = embedder.predict(x_test[:8])
all_features = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
outs = all_features(x_train[:2])

trainable_before = len(model.trainable_weights)
for layer in model.layers[:-1]:
    layer.trainable = False
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
trainable_after = len(model.trainable_weights)
non_trainable = len(model.non_trainable_weights)
frozen = model.get_layer("conv_a").get_weights()[0].copy()
history = model.fit(x_train, y_train, epochs=2, batch_size=32)
still_frozen = np.array_equal(frozen, model.get_layer("conv_a").get_weights()[0])
n_params = model.count_params()

json_config = model.to_json()
clone = keras.models.model_from_json(json_config)
clone.set_weights(model.get_weights())
same = np.allclose(clone.predict(x_test[:8]), model.predict(x_test[:8]), atol=1e-6)
