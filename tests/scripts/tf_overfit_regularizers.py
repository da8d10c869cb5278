"""TensorFlow's "Overfit and underfit" tutorial (arrays instead of tf.data): an InverseTimeDecay schedule, l2
weight regularizers, Dropout, binary crossentropy from logits with a BinaryCrossentropy metric object, and
EarlyStopping on that metric, with only the import word changed."""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras import regularizers

rng = np.random.default_rng(0)
FEATURES = 28
N_TRAIN = 512
BATCH_SIZE = 64
STEPS_PER_EPOCH = N_TRAIN // BATCH_SIZE
features = rng.normal(size=(N_TRAIN + 128, FEATURES)).astype("float32")
labels = (features[:, :3].sum(axis=1) + 0.3 * rng.normal(size=len(features)) > 0).astype("float32")
labels = labels.reshape(-1, 1)  # Keras 3 refuses targets of shape (n,) for outputs of shape (n, 1)
train_x, train_y = features[:N_TRAIN], labels[:N_TRAIN]
validate_x, validate_y = features[N_TRAIN:], labels[N_TRAIN:]

lr_schedule = tf.keras.optimizers.schedules.InverseTimeDecay(
    0.001, decay_steps=STEPS_PER_EPOCH * 1000, decay_rate=1, staircase=False)


def get_optimizer():
    return tf.keras.optimizers.Adam(lr_schedule)


def get_callbacks(name):
    return [tf.keras.callbacks.EarlyStopping(monitor='val_binary_crossentropy', patience=200)]


def compile_and_fit(model, name, optimizer=None, max_epochs=3):
    if optimizer is None:
        optimizer = get_optimizer()
    model.compile(optimizer=optimizer,
                  loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.BinaryCrossentropy(from_logits=True, name='binary_crossentropy'),
                           'accuracy'])
    model.summary()
    history = model.fit(train_x, train_y, batch_size=BATCH_SIZE, steps_per_epoch=STEPS_PER_EPOCH,
                        epochs=max_epochs, validation_data=(validate_x, validate_y),
                        callbacks=get_callbacks(name), verbose=0)
    return history


l2_model = tf.keras.Sequential([
    layers.Dense(64, activation='elu', kernel_regularizer=regularizers.l2(0.001), input_shape=(FEATURES,)),
    layers.Dense(64, activation='elu', kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1)
])
l2_history = compile_and_fit(l2_model, "regularizers/l2")

combined_model = tf.keras.Sequential([
    layers.Dense(64, kernel_regularizer=regularizers.l2(0.0001), activation='elu', input_shape=(FEATURES,)),
    layers.Dropout(0.5),
    layers.Dense(64, kernel_regularizer=regularizers.l2(0.0001), activation='elu'),
    layers.Dropout(0.5),
    layers.Dense(1)
])
history = compile_and_fit(combined_model, "regularizers/combined")
