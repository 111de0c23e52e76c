"""The Distiller's per-backend steps.

One step per backend: TensorFlow's GradientTape, PyTorch's backward(),
JAX's stateless value_and_grad; the loss (``Distiller._loss_terms``) and
the metrics (``Distiller._update_metrics``) are the Distiller's, shared.
``Distiller.train_step`` and ``test_step`` delegate here.
"""

import keras

from keras_ppg_kd import _backend


def train_step(distiller, *args):
    """One training step of ``distiller`` on this backend; its logs (under
    JAX, ``(logs, new state)``)."""
    if _backend.BACKEND == "jax":
        return jax_step(distiller, *args, training=True)
    (data,) = args
    x, y = distiller._unpack(data)
    window, cached = distiller._split(x)
    if _backend.BACKEND == "torch":
        terms = _torch_update(distiller, window, y, cached)
    else:
        terms = _tensorflow_update(distiller, window, y, cached)
    total, ce, kd, logits = terms
    return distiller._update_metrics(total, ce, kd, y, logits)


def _torch_update(distiller, window, y, cached):
    """PyTorch: the loss terms, after one optimizer step on their
    gradients (``backward()``)."""
    variables = distiller.trainable_variables
    distiller.zero_grad()
    terms = distiller._loss_terms(window, y, cached, True)
    distiller.optimizer.scale_loss(terms[0]).backward()
    gradients = [v.value.grad for v in variables]
    import torch

    with torch.no_grad():
        distiller.optimizer.apply(gradients, variables)
    return terms


def _tensorflow_update(distiller, window, y, cached):
    """TensorFlow: the loss terms, after one optimizer step on their
    gradients (``GradientTape``)."""
    import tensorflow as tf

    variables = distiller.trainable_variables
    with tf.GradientTape() as tape:
        terms = distiller._loss_terms(window, y, cached, True)
        scaled = distiller.optimizer.scale_loss(terms[0])
    gradients = tape.gradient(scaled, variables)
    distiller.optimizer.apply(gradients, variables)
    return terms


def test_step(distiller, *args):
    """One evaluation step of ``distiller`` (no update); its logs."""
    if _backend.BACKEND == "jax":
        return jax_step(distiller, *args, training=False)
    (data,) = args
    x, y = distiller._unpack(data)
    window, cached = distiller._split(x)
    total, ce, kd, logits = distiller._loss_terms(window, y, cached, False)
    return distiller._update_metrics(total, ce, kd, y, logits)


def jax_step(distiller, state, data, training):
    """JAX's stateless step: ``(logs, new state)`` from the state
    (trainable, non-trainable, [optimizer,] metrics variables)."""
    import jax

    if training:
        trainable, non_trainable, optimizer_state, metrics_state = state
        fixed = list(zip(distiller.optimizer.variables, optimizer_state))
    else:
        trainable, non_trainable, metrics_state = state
        fixed = []
    fixed += list(zip(distiller.non_trainable_variables, non_trainable))
    x, y = distiller._unpack(data)
    window, cached = distiller._split(x)

    def loss(trainable_values):
        mapping = [
            *zip(distiller.trainable_variables, trainable_values),
            *fixed,
        ]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            terms = distiller._loss_terms(window, y, cached, training)
            total = terms[0]
            if training:
                total = distiller.optimizer.scale_loss(total)
        updated = [
            scope.get_current_value(v)
            for v in distiller.non_trainable_variables
        ]
        return total, (terms, updated)

    if training:
        (_, (terms, non_trainable)), gradients = jax.value_and_grad(
            loss, has_aux=True
        )(trainable)
        trainable, optimizer_state = distiller.optimizer.stateless_apply(
            optimizer_state, gradients, trainable
        )
    else:
        _, (terms, non_trainable) = loss(trainable)
    mapping = list(zip(distiller.metrics_variables, metrics_state))
    with keras.StatelessScope(state_mapping=mapping) as scope:
        logs = distiller._update_metrics(*terms[:3], y, terms[3])
    metrics_state = [
        scope.get_current_value(v) for v in distiller.metrics_variables
    ]
    if training:
        return logs, (
            trainable,
            non_trainable,
            optimizer_state,
            metrics_state,
        )
    return logs, (trainable, non_trainable, metrics_state)
