"""class_weight for an imbalanced problem (keras.io's "Imbalanced classification" pattern), sample_weight in
fit and evaluate, shuffle=False, validation_split, weighted_metrics, with only the import word changed."""
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
train_targets = (y_train == 3).astype("float32")
test_targets = (y_test == 3).astype("float32")
counts = np.bincount(train_targets.astype("int64"))
print("Number of positive samples in training data: {} ({:.2f}% of total)".format(
    counts[1], 100 * float(counts[1]) / len(train_targets)))
weight_for_0 = 1.0 / counts[0]
weight_for_1 = 1.0 / counts[1]
class_weight = {0: weight_for_0, 1: weight_for_1}

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(1, activation="sigmoid"),
])
metrics = [
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.TrueNegatives(name="tn"),
    keras.metrics.TruePositives(name="tp"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
]
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics)
class_history = model.fit(x_train, train_targets, batch_size=64, epochs=2, verbose=2,
                          validation_data=(x_test, test_targets), class_weight=class_weight)

sample_weight = np.ones(len(y_train))
sample_weight[y_train == 5] = 2.0
model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
              weighted_metrics=["accuracy"])
history = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=3, shuffle=False,
                    validation_split=0.2)
weighted_score = model.evaluate(x_test, y_test, sample_weight=np.where(y_test == 5, 2.0, 1.0), verbose=0)
