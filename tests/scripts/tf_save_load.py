"""TensorFlow's "Save and load models" tutorial (Keras 3 file names): weight checkpoints every epoch and every few
batches, load_weights into a fresh model, latest checkpoint by name, the whole model in .keras, with only the
import word changed."""
import os
import numpy as np
import tensorflow as tf
from tensorflow import keras

(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
train_labels = train_labels[:256]
test_labels = test_labels[:64]
train_images = train_images[:256].reshape(-1, 28 * 28) / 255.0
test_images = test_images[:64].reshape(-1, 28 * 28) / 255.0


def create_model():
    model = tf.keras.Sequential([
        keras.layers.Dense(64, activation='relu', input_shape=(784,)),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10)
    ])
    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    return model


model = create_model()
model.summary()

checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, save_weights_only=True, verbose=1)
history = model.fit(train_images, train_labels, epochs=3, validation_data=(test_images, test_labels),
                    callbacks=[cp_callback])
print(os.listdir(checkpoint_dir))

model = create_model()
loss, untrained_acc = model.evaluate(test_images, test_labels, verbose=2)
model.load_weights(checkpoint_path)
loss, restored_acc = model.evaluate(test_images, test_labels, verbose=2)

checkpoint_path = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
batch_size = 32
n_batches = len(train_images) / batch_size
n_batches = int(np.ceil(n_batches))
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, verbose=1, save_weights_only=True,
                                                 save_freq=2 * n_batches)
model = create_model()
os.makedirs(checkpoint_dir, exist_ok=True)
model.save_weights(checkpoint_path.format(epoch=0))
model.fit(train_images, train_labels, epochs=4, batch_size=batch_size, callbacks=[cp_callback],
          validation_data=(test_images, test_labels), verbose=0)
saved = sorted(os.listdir(checkpoint_dir))
latest = os.path.join(checkpoint_dir, saved[-1])
model = create_model()
model.load_weights(latest)
loss, latest_acc = model.evaluate(test_images, test_labels, verbose=2)

model = create_model()
model.fit(train_images, train_labels, epochs=2)
model.save('my_model.keras')
new_model = tf.keras.models.load_model('my_model.keras')
new_model.summary()
loss, acc = new_model.evaluate(test_images, test_labels, verbose=2)
same = np.allclose(new_model.predict(test_images), model.predict(test_images))
print(new_model.predict(test_images).shape)
