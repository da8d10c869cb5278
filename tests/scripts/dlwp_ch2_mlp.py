"""Deep Learning with Python (Chollet), chapter 2: the first MNIST network, "rmsprop" by name, predict on ten test
digits, argmax and a probability, evaluate's two numbers, with only the import word changed."""
from tensorflow.keras.datasets import mnist
from tensorflow import keras
from tensorflow.keras import layers

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
model = keras.Sequential([
    layers.Dense(512, activation="relu"),
    layers.Dense(10, activation="softmax")
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
train_images = train_images.reshape((len(train_images), 28 * 28))
train_images = train_images.astype("float32") / 255
test_images = test_images.reshape((len(test_images), 28 * 28))
test_images = test_images.astype("float32") / 255
history = model.fit(train_images, train_labels, epochs=3, batch_size=128)

test_digits = test_images[0:10]
predictions = model.predict(test_digits)
print(predictions[0])
guess = predictions[0].argmax()
print(predictions[0][7])
print(test_labels[0])
test_loss, test_acc = model.evaluate(test_images, test_labels)
print(f"test_acc: {test_acc}")
