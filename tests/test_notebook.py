"""The reference notebook, cell by cell, with ``keras`` replaced by ``numcnn`` — on the real MNIST.

Marked ``slow`` (it downloads MNIST through the loader on first use and trains for an epoch or more);
run with ``pytest -m slow``. The cells below are the notebook's code with only the import word changed,
except ``epochs``, which is a parameter so the test stays short: one epoch must reach 0.975 (Keras
reaches ≈ 0.979 after one epoch).
"""

import os

import pytest

pytestmark = pytest.mark.slow

NOTEBOOK_CELLS = """
import numcnn
from numcnn.datasets import mnist

(x_train, y_train), (x_test, y_test) = mnist.load_data()

print("x_train.shape = ", x_train.shape)
print("x_test.shape = ", x_test.shape)

num_training_samples = x_train.shape[0]
num_testing_samples = x_test.shape[0]

# dimensions of each image
img_height, img_width = 28, 28

# there are 10 digits in total from 0 to 9
num_classes = 10

from numcnn import backend as K

num_channels = 1

if K.image_data_format() == 'channels_last':
    x_train = x_train.reshape(num_training_samples, img_height, img_width, num_channels).astype('float32')
    x_test = x_test.reshape(num_testing_samples, img_height, img_width, num_channels).astype('float32')
    input_shape = (img_height, img_width, num_channels)
else: # if the backend is theano then image_data_format is 'channels_first'
    x_train = x_train.reshape(num_training_samples, num_channels, img_height, img_width).astype('float32')
    x_test = x_test.reshape(num_testing_samples, num_channels, img_height, img_width).astype('float32')
    input_shape = (num_channels, img_height, img_width)

x_train /= 255
x_test /= 255

y_train = numcnn.utils.to_categorical(y_train, num_classes)
y_test = numcnn.utils.to_categorical(y_test, num_classes)

from numcnn.models import Sequential
from numcnn.layers import Dense, Convolution2D, Flatten, MaxPooling2D

model = Sequential()
model.add(Convolution2D(
        filters=32,
        kernel_size=(3,3),
        # apply filter to only full parts of image i.e. do not go over the border
        padding='valid',
        activation='relu',
        input_shape=input_shape)
         )
model.add(Convolution2D(filters=64, kernel_size=(3,3), activation='relu'))
# apply max pooling to summarize the features extracted so far
model.add(MaxPooling2D(pool_size=(2,2)))

# flatten the data for 1D layers
model.add(Flatten())

# dense layers
model.add(Dense(128, activation='relu'))
model.add(Dense(128, activation='relu'))
model.add(Dense(num_classes, activation='softmax'))
model.summary()

model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])

model.fit(x_train, y_train, batch_size=256, epochs=EPOCHS, validation_split=0.2)

score = model.evaluate(x_test, y_test)
print()
print("Test loss = ", score[0])
print("Test accuracy = ", score[1])
"""


def run_notebook(epochs):
    namespace = {}
    exec(compile(NOTEBOOK_CELLS.replace("EPOCHS", str(epochs)), "mnist_cnn_numcnn", "exec"), namespace)
    return namespace


def test_notebook_cells_match_the_reference_notebook():
    """Where ../shared is present, every code line above appears in the reference with keras → numcnn."""
    here = os.path.dirname(__file__)
    reference = os.path.join(here, "..", "..", "shared", "reference", "mnist_cnn_keras.md")
    if not os.path.exists(reference):
        pytest.skip("the reference notebook is not beside this checkout")
    with open(reference, encoding="utf-8") as f:
        original = {line.strip() for line in f.read().replace("keras", "numcnn").splitlines()}
    for line in NOTEBOOK_CELLS.splitlines():
        if line.strip() and "EPOCHS" not in line:
            assert line.strip() in original, line


def test_notebook_one_epoch_on_real_mnist(capsys):
    ns = run_notebook(epochs=1)
    out = capsys.readouterr().out
    assert "x_train.shape =  (60000, 28, 28)" in out
    assert "Train on 48000 samples, validate on 12000 samples" in out
    assert "Total params: 1,216,394" in out
    score = ns["score"]
    assert len(score) == 2
    assert score[1] >= 0.975, score
    with capsys.disabled():
        print(f"\n1 epoch on MNIST: test loss {score[0]:.4f}, test accuracy {score[1]:.4f}")
