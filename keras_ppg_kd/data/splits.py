"""Participant-independent splits, deterministic from a seed.

Participants are keyed ``"<dataset>/<participant>"`` so ids that repeat
across datasets stay distinct. Every function returns boolean masks over
the windows of a :class:`~keras_ppg_kd.data.transforms.WindowSet`.
"""

import numpy as np


def participant_keys(windows):
    """``"<dataset>/<participant>"`` per window."""
    return np.char.add(
        np.char.add(windows.dataset.astype(str), "/"),
        windows.participant.astype(str),
    )


def recording_keys(windows, gap_seconds=30.0):
    """A key per window naming its recording.

    A participant's windows split into recordings where consecutive start
    times jump by more than ``gap_seconds`` (builders that join a person's
    recordings leave a flagged minute between them). A participant with one
    recording keeps its :func:`participant_keys` key; otherwise each
    recording is named ``"<key>/<activity>"`` when it has one activity
    throughout, else ``"<key>#<n>"``.
    """
    keys = participant_keys(windows)
    out = keys.astype(object)
    for key in np.unique(keys):
        index = np.flatnonzero(keys == key)
        index = index[np.argsort(windows.start_times[index], kind="stable")]
        jumps = np.diff(windows.start_times[index]) > gap_seconds
        segment = np.concatenate([[0], np.cumsum(jumps)])
        if not jumps.any():
            continue
        for n in range(segment[-1] + 1):
            members = index[segment == n]
            activities = np.unique(windows.activity[members].astype(str))
            name = activities[0] if len(activities) == 1 else ""
            out[members] = f"{key}/{name}" if name else f"{key}#{n}"
    return out.astype(str)


def _shuffled_participants(keys, seed):
    unique = np.unique(keys)
    return unique[np.random.default_rng(seed).permutation(len(unique))]


def train_test_split(windows, test_fraction=0.2, seed=0):
    """Split by participant, ``test_fraction`` of them in the test set.

    Returns:
        ``(train_mask, test_mask)``.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(
            "`test_fraction` must be in (0, 1). Received: "
            f"test_fraction={test_fraction}"
        )
    keys = participant_keys(windows)
    order = _shuffled_participants(keys, seed)
    if len(order) < 2:
        raise ValueError(
            f"Need >= 2 participants to split; found {len(order)}: "
            f"{order.tolist()}"
        )
    n_test = min(len(order) - 1, max(1, int(round(test_fraction * len(order)))))
    test = np.isin(keys, order[:n_test])
    return ~test, test


def k_fold(windows, k=2, seed=0):
    """k-fold cross-validation by participant (the study uses k = 2).

    Returns:
        A list of ``k`` ``(train_mask, test_mask)`` pairs.
    """
    keys = participant_keys(windows)
    order = _shuffled_participants(keys, seed)
    if not 2 <= k <= len(order):
        raise ValueError(
            f"`k` must be in [2, number of participants={len(order)}]. "
            f"Received: k={k}"
        )
    folds = np.array_split(order, k)
    return [(~np.isin(keys, f), np.isin(keys, f)) for f in folds]


def leave_one_participant_out(windows):
    """One fold per participant: ``{key: (train_mask, test_mask)}``."""
    keys = participant_keys(windows)
    return {key: (keys != key, keys == key) for key in np.unique(keys)}


def leave_one_dataset_out(windows, test_dataset):
    """Train on every other dataset, test on ``test_dataset``.

    Returns:
        ``(train_mask, test_mask)``.
    """
    names = np.unique(windows.dataset.astype(str))
    if test_dataset not in names or len(names) < 2:
        raise ValueError(
            f"`test_dataset` must be one of {names.tolist()} and at least "
            f"two datasets are needed. Received: test_dataset={test_dataset!r}"
        )
    test = windows.dataset.astype(str) == test_dataset
    return ~test, test
