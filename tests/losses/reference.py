"""Independent NumPy references for the distillation losses (float64)."""

import numpy as np


def softmax(z, t=1.0):
    z = np.asarray(z, "float64") / t
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def kl(p, q):
    p, q = np.asarray(p), np.asarray(q)
    mask = p > 0
    return np.where(
        mask, p * (np.log(np.where(mask, p, 1)) - np.log(q)), 0
    ).sum(-1)


def soft(t_logits, s_logits, temperature):
    return (
        temperature**2
        * kl(
            softmax(t_logits, temperature), softmax(s_logits, temperature)
        ).mean()
    )


def dkd_terms(t_logits, s_logits, labels, temperature):
    pt, ps = softmax(t_logits, temperature), softmax(s_logits, temperature)
    n = len(labels)
    idx = np.arange(n)
    bt = np.stack([pt[idx, labels], 1 - pt[idx, labels]], 1)
    bs = np.stack([ps[idx, labels], 1 - ps[idx, labels]], 1)
    tckd = kl(bt, bs)
    mask = np.ones_like(pt, bool)
    mask[idx, labels] = False
    nt = np.where(mask, pt, 0) / np.where(mask, pt, 0).sum(1, keepdims=True)
    ns = np.where(mask, ps, 0) / np.where(mask, ps, 0).sum(1, keepdims=True)
    nckd = kl(nt, np.where(mask, ns, 1))
    return temperature**2 * tckd, temperature**2 * nckd


def hard(t_logits, s_logits):
    labels = np.argmax(t_logits, 1)
    ps = softmax(s_logits)
    return -np.log(ps[np.arange(len(labels)), labels]).mean()
