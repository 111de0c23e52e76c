"""Builders: a processing change without a version bump fails here; every
builder has release notes, a citation and a description."""

import pytest

from keras_ppg_kd.datasets import builder, fingerprint

NAMES = sorted(fingerprint.builders())


@pytest.mark.parametrize("name", NAMES)
def test_processing_changes_bump_the_builder_version(name):
    update = "python -m keras_ppg_kd.datasets.fingerprint --update"
    assert name in fingerprint.recorded(), (
        f"{name} has no fingerprint.json in its folder; run `{update}`."
    )
    entry = fingerprint.recorded()[name]
    version = str(type(builder(name)).VERSION)
    assert entry["version"] == version, (
        f"{name} is at {version}; its fingerprint.json records "
        f"{entry['version']}. Run `{update}`."
    )
    now = fingerprint.fingerprint(name, entry["config"])
    changed = (
        now["windows"] != entry["windows"]
        or now["labels"] != entry["labels"]
        or now["moments"] != pytest.approx(entry["moments"], abs=2e-4)
    )
    assert not changed, (
        f"{name} {version} now makes other windows ({now}; recorded "
        f"{entry}). Prepared data of {version} would be reused: bump its "
        f"VERSION, add a RELEASE_NOTES entry, then run `{update}`."
    )


@pytest.mark.parametrize("name", NAMES)
def test_builders_document_themselves(name, tmp_path):
    cls = type(builder(name))
    assert str(cls.VERSION) in cls.RELEASE_NOTES
    info = builder(name, data_dir=str(tmp_path)).info
    assert info.citation.lstrip().startswith("@")
    assert len(info.description) > 100


def test_the_fingerprint_sees_a_processing_change():
    """Another windowing (the accelerometer channels) changes it."""
    entry = fingerprint.recorded()["ieee_spc2015"]
    other = fingerprint.fingerprint("ieee_spc2015", "ppg_acc")
    assert other["moments"] != pytest.approx(entry["moments"], abs=2e-4)
