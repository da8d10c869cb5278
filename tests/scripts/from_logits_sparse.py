"""TensorFlow's "beginner" quickstart, Keras 3 spelling (tf.keras. -> keras.), with only the import word changed."""
import keras

mnist = keras.datasets.mnist
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0

model = keras.models.Sequential([
  keras.layers.Flatten(input_shape=(28, 28)),
  keras.layers.Dense(64, activation='relu'),
  keras.layers.Dropout(0.2),
  keras.layers.Dense(10)
])
predictions = model(x_train[:1]).numpy()
probabilities = keras.ops.softmax(predictions).numpy() if hasattr(keras, "ops") else None
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
first_loss = loss_fn(y_train[:1], predictions)
model.compile(optimizer='adam', loss=loss_fn, metrics=['accuracy'])
history = model.fit(x_train, y_train, epochs=3)
model.evaluate(x_test,  y_test, verbose=2)
probability_model = keras.Sequential([model, keras.layers.Softmax()])
probs = probability_model(x_test[:5])
