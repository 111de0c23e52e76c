"""The recipe that generalizes: train, distil, export and track, then score.

One path from labelled windows to what ships on a watch, used by
``examples/train_and_deploy.py`` and by the generalization evaluations
(``examples/cross_dataset.py``, the acceptance figure: train on one real
dataset, test on another; leave-one-participant-out on SPC 2015):

1. a ResNet1D teacher pre-trained on the built-in synthetic data (the
   shipped :mod:`keras_ppg_kd.pretrained` teacher by default), then
   fine-tuned gently on the real windows (Adam 1e-4) with four times as
   many synthetic windows mixed in, with HR-changing and HR-preserving
   augmentation (:mod:`keras_ppg_kd.data.augment`) and ordinal soft
   targets; the epoch is chosen on participants held out of training, and
   the weights are then averaged half-way back to the pre-trained ones
   (WiSE-FT), which keeps what synthetic pre-training gives on other
   devices;
2. a small student (the shipped synthetic-pretrained ``tcns:5``, TCN(5)
   on a stride-2 stem: an 18.4 KB TFLite Micro arena) distilled from it
   with DKD on the same augmented stream, selected and averaged
   the same way;
3. an :class:`~keras_ppg_kd.tracking.HRTracker` whose transition is learned
   from the training labels; its temperature, transition scale and jump
   probability are then those that track the held-out participants best.

:func:`score` then reports, per recording, the spectral peak, the teacher,
the student, its int8 LiteRT file and the int8 file with the causal
tracker (and offline smoothing).
"""

import dataclasses
import time
import warnings

import keras
import numpy as np
import pandas as pd
from absl import logging

from keras_ppg_kd import models
from keras_ppg_kd import pretrained as shipped
from keras_ppg_kd.baselines import spectral_peak_bpm
from keras_ppg_kd.data.augment import Augmentation
from keras_ppg_kd.data.splits import participant_keys, recording_keys
from keras_ppg_kd.data.synthetic import SyntheticConfig, generate_recording
from keras_ppg_kd.data.transforms import WindowSet, windows_from_recording
from keras_ppg_kd.heart_rate import bpm_to_class, logits_to_bpm
from keras_ppg_kd.metrics import check_collapse
from keras_ppg_kd.protocol import WindowConfig, preset_name
from keras_ppg_kd.tracking import HRTracker, SpectralFusion
from keras_ppg_kd.training import recipes
from keras_ppg_kd.training.recipes import (
    SelectOnValidation,
    load_weights_expanding_inputs,
)


@dataclasses.dataclass(frozen=True)
class GeneralizingRecipe:
    """Settings of :func:`train_and_distill` (defaults: the measured best).

    Args:
        teacher_blocks: Teacher ResNet1D blocks.
        student: The student, ``"<family>:<size>"``: ``"tcns:5"`` (default;
            a dilated TCN that sees several beats with 13K parameters, on
            a stride-2 stem that halves its activations), ``"tcn:5"`` (the
            same without the stride: 0.26 BPM worse from SPC 2015 to the
            wrist, a 28 KB arena) or ``"resnet:1"`` (the study's smallest,
            16.6K; it sees less than one beat); see
            :func:`keras_ppg_kd.models.get`.
        strategy: Distillation strategy (alias or loss config); ``"none"``
            trains the student on the labels alone, from the same start,
            data and selection (the no-distillation baseline).
        label_sigma: Ordinal soft-target width in BPM (0: one-hot CE).
        augmentation: Training augmentation, or None.
        pretrained_teacher: Name of a shipped teacher
            (:mod:`keras_ppg_kd.pretrained`) to start from; ``""`` trains
            one here on synthetic data (``pretrain_epochs``).
        pretrained_student: Start from the shipped student distilled on
            synthetic data for ``student`` (``synthetic_<family><size>``),
            when there is one.
        synthetic_participants: Synthetic participants for pre-training and
            mixing in (0 disables both).
        synthetic_minutes: Minutes per synthetic participant.
        synthetic_seed: Seed of the synthetic data.
        mix_fraction: Synthetic windows mixed into real training, as a
            fraction of the real window count.
        pretrain_epochs: Teacher epochs on synthetic data alone.
        teacher_epochs: Teacher epochs on the (mixed) training data.
        student_epochs: Student epochs.
        batch_size: Batch size.
        pretrain_learning_rate: Adam learning rate for pre-training.
        learning_rate: Adam learning rate for training the teacher.
        student_learning_rate: Adam learning rate for distillation.
        validation_participants: Training participants held out for model
            selection and calibration (0: last epoch, no calibration).
        finetune_weight: Weight of the fine-tuned weights against the
            pre-trained ones they started from, ``w * fine_tuned + (1 - w)
            * pre_trained``, for the teacher and the student (weight-space
            ensembling, WiSE-FT: Wortsman et al., CVPR 2022; models that
            start from scratch keep their weights). Below 1 it keeps part
            of what synthetic pre-training gives on other devices; 1 keeps
            the fine-tuned weights.
        temperature_factors: Multiples of the tracker's emission
            temperature (fitted window by window on the held-out people)
            that :meth:`HRTracker.calibrate` tries, keeping the one that
            tracks those people best. Overlapping windows err together, so
            the tracker wants a higher temperature than the one that
            scores windows one at a time; ``(1.0,)`` keeps that one (the
            default until 2026-12-02).
        calibration_participants: Synthetic participants that no model
            trained on (the generator's seed ``synthetic_seed + 1``; the
            shipped models saw seed ``synthetic_seed``) on which, with the
            validation participants, the tracker is calibrated: a handful
            of real people from one device is too few to choose its
            settings, and 8 synthetic people with every activity make the
            choice hold on other devices. 0, or no synthetic participants,
            calibrates on the validation participants alone.
        spectral_fusion: Feed the tracker the student's posterior fused
            with each window's spectrum (:class:`SpectralFusion`, fitted on
            the validation participants; with ``accelerometer`` it also
            suppresses the motion's cadence). Needs validation
            participants.
        accelerometer: Train on PPG + 3-axis accelerometer windows
            (``WindowConfig(accelerometer=True)``, e.g. the builders'
            ``ppg_acc`` config). Shipped PPG-only weights start the models
            with zero weights on the accelerometer inputs.
        finetune_teacher: Fine-tune the pre-trained teacher on the
            labelled windows; False distils from the pre-trained teacher
            as it is (one that never saw the user's people).
        unlabelled_fraction: With unlabelled recordings of the target
            device (``train_and_distill(unlabelled=...)``), how many of
            their pseudo-labelled windows the student's stream holds, as a
            multiple of the labelled real windows it trains on (the
            windows repeat, each time augmented anew).
        cancel_motion: Train on PPG windows less the part the
            accelerometer explains (``WindowConfig(cancel_motion=True)``,
            the builders' ``cancel_motion`` config), and so the exported
            student: the watch makes its windows with its accelerometer.
            Across devices it is the largest single gain measured
            (``docs/results/cross_dataset``); ``False`` for recordings
            without an accelerometer.
    """

    teacher_blocks: int = 6
    student: str = "tcns:5"
    strategy: str = "dkd"
    pretrained_teacher: str = shipped.TEACHER_NAME
    pretrained_student: bool = True
    label_sigma: float = 2.0
    augmentation: Augmentation | None = Augmentation()
    synthetic_participants: int = 16
    synthetic_minutes: float = 10.0
    synthetic_seed: int = 21
    mix_fraction: float = 4.0
    pretrain_epochs: int = 12
    teacher_epochs: int = 12
    student_epochs: int = 15
    batch_size: int = 32
    pretrain_learning_rate: float = 1e-3
    learning_rate: float = 1e-4
    student_learning_rate: float = 1e-4
    validation_participants: int = 2
    finetune_weight: float = 0.5
    temperature_factors: tuple = (1.0, 2.0, 4.0)
    calibration_participants: int = 8
    spectral_fusion: bool = False
    accelerometer: bool = False
    cancel_motion: bool = True
    finetune_teacher: bool = True
    unlabelled_fraction: float = 1.0

    def __post_init__(self):
        if not 0.0 <= self.finetune_weight <= 1.0:
            raise ValueError(
                "`finetune_weight` must be in [0, 1]. Received: "
                f"finetune_weight={self.finetune_weight}"
            )
        if self.calibration_participants < 0:
            raise ValueError(
                "`calibration_participants` must be 0 or more. Received: "
                f"calibration_participants={self.calibration_participants}"
            )
        factors = self.temperature_factors
        if not factors or not all(0.0 < f < float("inf") for f in factors):
            raise ValueError(
                "`temperature_factors` must be positive and finite numbers, "
                f"at least one. Received: temperature_factors={factors}"
            )

    @property
    def window(self):
        """The :class:`WindowConfig` of the windows this recipe takes."""
        return WindowConfig(
            accelerometer=self.accelerometer, cancel_motion=self.cancel_motion
        )

    @classmethod
    def for_window(cls, window, **changes):
        """The recipe on ``window``'s accelerometer and motion cancellation
        (its other fields are the recipe's own: check ``recipe.window``)."""
        return cls(
            accelerometer=window.accelerometer,
            cancel_motion=window.cancel_motion,
            **changes,
        )

    @property
    def builder_config(self):
        """Deprecated: pass :attr:`window` as the protocol (``load_windows(
        config=recipe.window)``); this is its preset name."""
        warnings.warn(
            "GeneralizingRecipe.builder_config is deprecated and will be "
            "removed in the next release; pass recipe.window (a "
            "WindowConfig) as the protocol, e.g. "
            "load_windows(config=recipe.window).",
            DeprecationWarning,
            stacklevel=2,
        )
        return preset_name(self.window)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def override(self, items):
        """A copy with ``"field=value"`` strings applied (for flags).

        ``"augmentation.stretch_prob=0"`` changes one augmentation field;
        ``"augmentation=None"`` turns augmentation off.
        """
        recipe = self
        for item in items:
            name, _, text = item.partition("=")
            if name == "augmentation" and text == "None":
                recipe = recipe.replace(augmentation=None)
                continue
            target, _, field = name.rpartition(".")
            owner = recipe if not target else recipe.augmentation
            if (
                target not in ("", "augmentation")
                or owner is None
                or field not in {f.name for f in dataclasses.fields(owner)}
            ):
                raise ValueError(
                    f"Unknown recipe field {name!r} in {item!r}; fields: "
                    f"{[f.name for f in dataclasses.fields(self)]} and "
                    "augmentation.<field>."
                )
            current = getattr(owner, field)
            if isinstance(current, str):
                value = text
            elif isinstance(current, tuple):
                value = tuple(float(v) for v in text.split(","))
            elif isinstance(current, bool):
                value = text.lower() in ("1", "true", "yes")
            else:
                value = type(current)(float(text))
            owner = dataclasses.replace(owner, **{field: value})
            recipe = owner if not target else recipe.replace(augmentation=owner)
        return recipe


@dataclasses.dataclass
class Trained:
    """What :func:`train_and_distill` returns.

    Attributes:
        teacher: The teacher model.
        student: The distilled student model.
        tracker: The calibrated :class:`HRTracker`.
        fusion: The fitted :class:`SpectralFusion` whose fused logits the
            tracker takes, or None (the tracker takes the logits).
        validation: The held-out training participants (may be empty).
        log: Timings and selected epochs.
        pseudo_labelled: The unlabelled windows with the teacher's
            smoothed heart rates the student learnt (:func:`pseudo_label`),
            or None.
    """

    teacher: keras.Model
    student: keras.Model
    tracker: HRTracker
    fusion: SpectralFusion | None
    validation: WindowSet
    log: dict
    pseudo_labelled: WindowSet | None = None

    def tracker_input(self, windows, logits):
        """What the tracker takes for these windows' student logits."""
        if self.fusion is None:
            return logits
        return self.fusion.fuse(windows, logits)


def synthetic_windows(recipe, exclude_activities=()):
    """The recipe's synthetic windows (optionally without some activities).

    Excluded activities are removed from the generator's schedule, so no
    window of them exists (for leave-one-activity-out evaluation). None
    when the recipe uses no synthetic participants.
    """
    return _synthetic(recipe, recipe.synthetic_participants, exclude_activities)


def calibration_windows(recipe):
    """The recipe's synthetic calibration people (``synthetic_seed + 1``,
    whom no model trained on), or None."""
    if not recipe.synthetic_participants:
        return None
    return _synthetic(recipe, recipe.calibration_participants, seed_offset=1)


def _synthetic(recipe, participants, exclude_activities=(), seed_offset=0):
    if not participants:
        return None
    weights = tuple(
        (name, weight)
        for name, weight in SyntheticConfig.activity_weights
        if name not in exclude_activities
    )
    config = SyntheticConfig(
        num_participants=participants,
        minutes=recipe.synthetic_minutes,
        seed=recipe.synthetic_seed + seed_offset,
        activity_weights=weights,
    )
    return WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config), recipe.window)
        for i in range(config.num_participants)
    )


# Identity augmentation: the same stream of fractional labels, no change.
_NO_AUGMENTATION = Augmentation(
    stretch_prob=0.0, flip_prob=0.0, motion_prob=0.0, noise_std=0.0
)


def _training(recipe, epochs, learning_rate):
    """The study's :class:`~keras_ppg_kd.training.recipes.Training` configured
    as this recipe: constant Adam, ordinal soft targets, the augmented
    stream (every batch, fractional labels) with no batch left out."""
    return recipes.Training(
        epochs=epochs,
        batch_size=recipe.batch_size,
        learning_rate=learning_rate,
        label_sigma=recipe.label_sigma,
        augmentation=recipe.augmentation or _NO_AUGMENTATION,
        drop_remainder=False,
    )


def pretrain_teacher(recipe, synthetic=None, seed=0, verbose=0):
    """A teacher trained on synthetic windows only (shareable by folds).

    Returns the shipped teacher when ``recipe.pretrained_teacher`` names
    one (it was trained the same way, for longer); otherwise trains one
    on ``synthetic`` (built from the recipe when None).
    """
    if recipe.pretrained_teacher:
        teacher = shipped.load(recipe.pretrained_teacher)
        if teacher.protocol != recipe.window:
            teacher = load_weights_expanding_inputs(
                models.get(teacher.num_blocks, protocol=recipe.window), teacher
            )
        if teacher.num_blocks != recipe.teacher_blocks:
            raise ValueError(
                f"The shipped teacher {recipe.pretrained_teacher!r} has "
                f"{teacher.num_blocks} blocks; the recipe asks for "
                f"teacher_blocks={recipe.teacher_blocks}. Set "
                "pretrained_teacher='' to pre-train one here."
            )
        return teacher
    if synthetic is None:
        synthetic = synthetic_windows(recipe)
    teacher, _ = recipes.train_scratch(
        synthetic,
        synthetic.subset(np.zeros(len(synthetic), bool)),
        model=f"resnet:{recipe.teacher_blocks}",
        training=_training(
            recipe, recipe.pretrain_epochs, recipe.pretrain_learning_rate
        ),
        role="teacher",
        seed=seed,
        verbose=verbose,
    )
    return teacher


def _student_start(recipe):
    """The shipped weights the recipe's student starts from (widened to
    the recipe's channels), or None when it starts from scratch."""
    name = shipped.student_name(recipe.student)
    if not (recipe.pretrained_student and name in shipped.available()):
        return None
    student = models.get(recipe.student, protocol=recipe.window)
    return load_weights_expanding_inputs(student, shipped.load(name))


def interpolate_weights(model, start, weight):
    """Set ``model`` to ``weight * its weights + (1 - weight) * start``.

    Float weights only (BatchNorm statistics included); integer state
    such as seed generators keeps the model's own value.
    """
    if weight == 1.0 or start is None:
        return model
    model.set_weights(
        [
            weight * new + (1.0 - weight) * old
            if np.issubdtype(new.dtype, np.floating)
            else new
            for new, old in zip(model.get_weights(), start, strict=True)
        ]
    )
    return model


def split_validation(windows, count, seed=0):
    """``(train, validation)``: ``count`` whole participants held out."""
    keys = participant_keys(windows)
    unique = np.unique(keys)
    if count <= 0:
        return windows, windows.subset(np.zeros(len(windows), bool))
    if count >= len(unique):
        raise ValueError(
            f"Cannot hold out {count} validation participants from "
            f"{len(unique)}; lower validation_participants."
        )
    chosen = np.random.default_rng(seed).choice(unique, count, replace=False)
    held = np.isin(keys, chosen)
    return windows.subset(~held), windows.subset(held)


def train_and_distill(
    train,
    recipe=GeneralizingRecipe(),
    synthetic=None,
    pretrained=None,
    seed=0,
    verbose=0,
    unlabelled=None,
    teacher=None,
    callbacks=(),
):
    """Teacher, student and tracker from labelled windows.

    Args:
        train: Labelled training :class:`WindowSet` (all participants the
            user has; ``recipe.validation_participants`` of them are held
            out for selection and calibration).
        recipe: The :class:`GeneralizingRecipe`.
        synthetic: Synthetic windows to mix in (built from the recipe when
            None and ``recipe.synthetic_participants > 0``).
        pretrained: Teacher weights from :func:`pretrain_teacher` (taken
            from it when None and the recipe pre-trains).
        seed: Seed for weights, shuffling and the validation split.
        verbose: Keras verbosity.
        unlabelled: Windows of the target device without a reference
            (:func:`keras_ppg_kd.datasets.load_unlabelled`), or None. The
            teacher reads them, a tracker calibrated for the teacher
            smooths its posteriors over each whole recording, and the
            student distils on those heart rates beside the labelled
            windows (:func:`pseudo_label`). Their ``hr_bpm`` is not read.
        teacher: A teacher this recipe already trained on ``train`` with
            this ``seed`` (a :class:`Trained`'s), or any trained teacher
            of the recipe's window protocol, reused as it is: students of
            several settings then share one teacher.
        callbacks: Keras callbacks for each model's training (progress
            lines, TensorBoard, early stopping on ``val_hr_mae``), after
            the recipe's selection on the validation participants.

    Returns:
        A :class:`Trained`.
    """
    start = time.perf_counter()
    log = {}
    _check_windows(
        recipe, train=train, synthetic=synthetic, unlabelled=unlabelled
    )
    _check_unlabelled(recipe, unlabelled)
    fit_set, validation = _split_for_selection(train, recipe, seed)
    if synthetic is None:
        synthetic = synthetic_windows(recipe)
    if (
        teacher is None
        and pretrained is None
        and (recipe.pretrained_teacher or synthetic is not None)
    ):
        pretrained = pretrain_teacher(
            recipe, synthetic, seed, verbose
        ).get_weights()
        log["pretrain_s"] = time.perf_counter() - start
    mixed = mix_synthetic(fit_set, synthetic, recipe, seed)
    held = _calibration_set(validation, recipe)

    extra = list(callbacks)
    # Both models train through the study's recipes (one training path),
    # the epoch selected on the held-out participants; nothing scored here.
    run = dict(seed=seed, verbose=verbose)
    nobody = mixed.subset(np.zeros(len(mixed), bool))
    if teacher is None:
        selector = _selection(validation) if recipe.finetune_teacher else []
        teacher = _teacher(recipe, mixed, pretrained, selector + extra, run)
        log["teacher_epoch"] = selector[0].best_epoch if selector else None
    log["teacher_s"] = time.perf_counter() - start

    student_stream, adapted = mixed, None
    if unlabelled is not None:
        student_stream, adapted = _with_pseudo_labels(
            recipe, teacher, fit_set, held, mixed, unlabelled, seed, log
        )
        log["pseudo_label_s"] = time.perf_counter() - start

    student = _student(
        recipe, teacher, (student_stream, nobody, validation), extra, run, log
    )
    log["student_s"] = time.perf_counter() - start

    fusion = _fusion(recipe, student, held, validation)
    tracker = _tracker(student, fit_set, held, recipe, fusion)
    if held is not None:
        log["calibration_windows"] = len(held)
    log["wall_s"] = time.perf_counter() - start
    return Trained(teacher, student, tracker, fusion, validation, log, adapted)


def _check_unlabelled(recipe, unlabelled):
    """Unlabelled windows are learnt from the teacher: they need a
    distillation strategy and at least one window."""
    if unlabelled is not None and (
        recipe.strategy == "none" or not len(unlabelled)
    ):
        raise ValueError(
            "Unlabelled recordings are learnt from the teacher: they need a "
            "distillation strategy (not 'none') and at least one window. "
            f"Received: strategy={recipe.strategy!r}, "
            f"{len(unlabelled)} unlabelled windows."
        )


def _split_for_selection(train, recipe, seed):
    """``(fit set, validation participants)`` of ``train``; spectral fusion
    is fitted on the validation participants, so it needs some."""
    fit_set, validation = split_validation(
        train, recipe.validation_participants, seed
    )
    if recipe.spectral_fusion and not len(validation):
        raise ValueError(
            "spectral_fusion needs validation participants to fit it on; "
            "set validation_participants >= 1."
        )
    return fit_set, validation


def _calibration_set(validation, recipe):
    """The windows trackers are calibrated on: the validation participants
    (first) and the synthetic calibration people; None when neither."""
    people = [validation, calibration_windows(recipe)]
    people = [p for p in people if p is not None and len(p)]
    return WindowSet.concatenate(people) if people else None


def _selection(validation):
    """A fresh epoch selector on ``validation``, or none without it."""
    return [SelectOnValidation(validation)] if len(validation) else []


def _with_pseudo_labels(
    recipe, teacher, fit_set, held, mixed, unlabelled, seed, log
):
    """``(student stream, pseudo-labelled windows)``: the teacher's tracked
    heart rates on ``unlabelled``, drawn (every window, then again) to
    ``recipe.unlabelled_fraction`` of the fit set beside ``mixed``."""
    teacher_tracker = _tracker(teacher, fit_set, held, recipe)
    adapted = pseudo_label(teacher, teacher_tracker, unlabelled)
    count = int(round(recipe.unlabelled_fraction * len(fit_set)))
    order = np.random.default_rng(seed).permutation(len(adapted))
    index = np.sort(np.resize(order, count))  # every window, then again
    stream = WindowSet.concatenate([mixed, adapted.subset(index)])
    log["pseudo_labelled_windows"] = len(index)
    return stream, adapted


def _student(recipe, teacher, sets, callbacks, run, log):
    """The recipe's student trained (from scratch with strategy ``"none"``)
    or distilled from ``teacher``, its epoch selected on the validation
    participants and its weights averaged back towards its start.

    ``sets`` is ``(training stream, an empty test set, validation)``.
    """
    stream, nobody, validation = sets
    start_model = _student_start(recipe)
    student_start = start_model.get_weights() if start_model else None
    selector = _selection(validation)
    training = _training(
        recipe, recipe.student_epochs, recipe.student_learning_rate
    )
    common = dict(
        model=recipe.student,
        training=training,
        callbacks=selector + callbacks,
        start_from=student_start,
        **run,
    )
    if recipe.strategy == "none":
        student, _ = recipes.train_scratch(stream, nobody, **common)
    else:
        student, _ = recipes.distill(
            teacher, stream, nobody, strategy=recipe.strategy, **common
        )
        teacher.trainable = True  # the Distiller froze it
    interpolate_weights(student, student_start, recipe.finetune_weight)
    log["student_epoch"] = selector[0].best_epoch if selector else None
    return student


def _fusion(recipe, student, held, validation):
    """A :class:`SpectralFusion` fitted on the validation participants when
    the recipe asks for one (and there is a calibration set), else None."""
    if held is None or not recipe.spectral_fusion:
        return None
    logits = student.predict(held.windows, batch_size=512, verbose=0)
    return SpectralFusion.fit(
        validation.windows,
        logits[: len(validation)],
        validation.hr_bpm,
        validation.config,
    )


def finetune_teacher(
    train, recipe=GeneralizingRecipe(), seed=0, verbose=0, callbacks=()
):
    """The recipe's teacher alone: its first step, without a student.

    The pre-trained teacher (:func:`pretrain_teacher`) fine-tuned gently on
    ``train`` with the recipe's synthetic windows mixed in, its epoch
    chosen on ``recipe.validation_participants`` held-out participants and
    its weights averaged back towards the start (``finetune_weight``), as
    :func:`train_and_distill` trains it.

    Args:
        train: Labelled training :class:`WindowSet` of the recipe's window
            protocol.
        recipe: The :class:`GeneralizingRecipe`.
        seed: Seed for weights, shuffling and the validation split.
        verbose: Keras verbosity.
        callbacks: Keras callbacks for its training, after the selection.

    Returns:
        ``(teacher, validation, log)``: the model, the held-out training
        participants (may be empty) and ``{"teacher_epoch", "teacher_s"}``.
    """
    start = time.perf_counter()
    _check_windows(recipe, train=train)
    fit_set, validation = split_validation(
        train, recipe.validation_participants, seed
    )
    synthetic = synthetic_windows(recipe)
    pretrained = None  # from scratch: no shipped teacher, no synthetic
    if recipe.pretrained_teacher or synthetic is not None:
        pretrained = pretrain_teacher(
            recipe, synthetic, seed, verbose
        ).get_weights()
    mixed = mix_synthetic(fit_set, synthetic, recipe, seed)
    selector = (
        [SelectOnValidation(validation)]
        if len(validation) and recipe.finetune_teacher
        else []
    )
    teacher = _teacher(
        recipe,
        mixed,
        pretrained,
        selector + list(callbacks),
        dict(seed=seed, verbose=verbose),
    )
    log = {
        "teacher_epoch": selector[0].best_epoch if selector else None,
        "teacher_s": time.perf_counter() - start,
    }
    return teacher, validation, log


def mix_synthetic(fit_set, synthetic, recipe, seed=0):
    """``fit_set`` with the recipe's share of ``synthetic`` windows mixed
    in (``mix_fraction`` times as many, at most all of them)."""
    if synthetic is None or recipe.mix_fraction <= 0:
        return fit_set
    rng = np.random.default_rng(seed)
    share = min(1.0, recipe.mix_fraction * len(fit_set) / len(synthetic))
    return WindowSet.concatenate(
        [fit_set, synthetic.subset(rng.random(len(synthetic)) < share)]
    )


def _check_windows(recipe, **named):
    """Every set of windows given must be of the recipe's protocol."""
    for name, windows in named.items():
        if windows is not None and windows.config != recipe.window:
            raise ValueError(
                f"The {name} windows were made with {windows.config}; the "
                f"recipe takes {recipe.window}. Load them with "
                "config=recipe.window (the builders' config "
                f"{preset_name(recipe.window)!r})."
            )


def _teacher(recipe, mixed, pretrained, selector, run):
    """The recipe's teacher: the pre-trained one fine-tuned on ``mixed``
    and averaged back towards its start (or as it is, when the recipe does
    not fine-tune)."""
    if not recipe.finetune_teacher and pretrained is not None:
        teacher = models.get(recipe.teacher_blocks, protocol=recipe.window)
        teacher.set_weights(pretrained)
        return teacher
    teacher, _ = recipes.train_scratch(
        mixed,
        mixed.subset(np.zeros(len(mixed), bool)),
        model=f"resnet:{recipe.teacher_blocks}",
        training=_training(recipe, recipe.teacher_epochs, recipe.learning_rate),
        role="teacher",
        callbacks=selector,
        start_from=pretrained,
        **run,
    )
    return interpolate_weights(teacher, pretrained, recipe.finetune_weight)


def _tracker(model, fit_set, held, recipe, fusion=None):
    """The tracker for ``model``: its transition learned from the training
    labels, calibrated on ``held`` (when any) through ``fusion``."""
    tracker = HRTracker.fit(
        fit_set.hr_bpm,
        participant_keys(fit_set),
        fit_set.start_times,
        protocol=fit_set.config,
    )
    if held is None:
        return tracker
    logits = model.predict(held.windows, batch_size=512, verbose=0)
    if fusion is not None:
        logits = fusion.fuse(held.windows, logits)
    return tracker.calibrate(
        logits,
        held.hr_bpm,
        participant_keys(held),
        held.start_times,
        temperature_factors=recipe.temperature_factors,
    )


def pseudo_label(teacher, tracker, unlabelled):
    """``unlabelled`` labelled with the teacher's smoothed heart rate.

    The teacher's logits of each recording (one per participant, as
    :meth:`HRTracker.track` takes them apart) are smoothed by ``tracker``
    forward and backward over the whole recording; each window's label is
    the smoothed posterior's most likely heart rate. A window thus gets the
    teacher's view of the windows around it, which a student that reads
    one window cannot have: on a new device it is better than the
    teacher's window-by-window output.

    Args:
        teacher: A trained model taking ``unlabelled``'s windows.
        tracker: An :class:`HRTracker` calibrated for the teacher.
        unlabelled: A :class:`WindowSet`; its ``hr_bpm`` and ``label`` are
            not read.

    Returns:
        A copy of ``unlabelled`` with ``hr_bpm`` and ``label`` set.
    """
    logits = teacher.predict(unlabelled.windows, batch_size=512, verbose=0)
    bpm = tracker.track(
        logits,
        participant_keys(unlabelled),
        unlabelled.start_times,
        "smooth",
    )
    classes = unlabelled.config.classes
    return dataclasses.replace(
        unlabelled,
        hr_bpm=bpm.astype(unlabelled.hr_bpm.dtype),
        label=bpm_to_class(bpm, classes).astype(unlabelled.label.dtype),
    )


def score(test, trained=None, int8=None, extra=None):
    """Per-recording MAE (BPM) of every estimator on ``test``.

    Args:
        test: Labelled test :class:`WindowSet`.
        trained: A :class:`Trained` (teacher and student columns).
        int8: A :class:`~keras_ppg_kd.deploy.LiteRTModel` of the student
            (``int8``, ``int8+tracker`` and ``int8+offline`` columns; the
            tracker comes from ``trained``).
        extra: ``{column: bpm per window}`` to score beside them.

    Returns:
        A DataFrame, one row per recording
        (:func:`~keras_ppg_kd.data.splits.recording_keys`), with a
        ``windows`` column; ``.attrs["collapsed"]`` holds ``{column:
        warning}`` for each estimator whose predictions barely vary over
        ``test`` (:func:`~keras_ppg_kd.metrics.check_collapse`; each is
        also logged as a warning).
    """
    bpm = {"spectral_peak": spectral_peak_bpm(test, band=test.config.band)}
    if trained is not None:
        for name in ("teacher", "student"):
            logits = getattr(trained, name).predict(
                test.windows, batch_size=512, verbose=0
            )
            bpm[name] = np.asarray(logits_to_bpm(logits))
    if int8 is not None:
        logits = int8.predict(test.windows)
        bpm["int8"] = np.asarray(logits_to_bpm(logits))
        if trained is not None:
            keys, times = participant_keys(test), test.start_times
            tracker = trained.tracker
            logits = trained.tracker_input(test.windows, logits)
            bpm["int8+tracker"] = tracker.track(logits, keys, times)
            bpm["int8+offline"] = tracker.track(logits, keys, times, "smooth")
    bpm.update(extra or {})
    collapsed = {}
    for name, values in bpm.items():
        found = check_collapse(
            values,
            test.hr_bpm,
            name=name,
            hint="start the models from the shipped pre-trained ones, "
            "train fewer epochs or at a lower learning rate, or add "
            "participants.",
        )
        if found is not None:
            collapsed[name] = found.message()
            logging.warning(collapsed[name])
    keys = recording_keys(test)
    rows = []
    for key in np.unique(keys):
        mask = keys == key
        row = {"recording": key, "windows": int(mask.sum())}
        for name, values in bpm.items():
            row[name] = float(np.mean(np.abs(values[mask] - test.hr_bpm[mask])))
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["collapsed"] = collapsed
    return table
