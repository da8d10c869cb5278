"""TensorFlow's "Data augmentation" tutorial (arrays instead of tf.data): Resizing + Rescaling and RandomFlip +
RandomRotation as preprocessing Sequentials, applied to a batch and inside the model, with only the import word
changed."""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.cifar10.load_data()
num_classes = 10
IMG_SIZE = 24

resize_and_rescale = tf.keras.Sequential([
    layers.Resizing(IMG_SIZE, IMG_SIZE),
    layers.Rescaling(1./255)
])
result = resize_and_rescale(x_train[:1].astype("float32"))
print("Min and max pixel values:", result.numpy().min(), result.numpy().max())

data_augmentation = tf.keras.Sequential([
    layers.RandomFlip("horizontal_and_vertical"),
    layers.RandomRotation(0.2),
])
image = np.expand_dims(x_train[0], 0).astype("float32")
augmented = [data_augmentation(resize_and_rescale(image)) for _ in range(3)]

model = tf.keras.Sequential([
    resize_and_rescale,
    data_augmentation,
    layers.Conv2D(8, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(16, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(32, activation='relu'),
    layers.Dense(num_classes)
])
model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])
history = model.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=3)
loss, acc = model.evaluate(x_test, y_test)
print("Accuracy", acc)
