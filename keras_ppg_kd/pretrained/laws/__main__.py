"""``python -m keras_ppg_kd.pretrained.laws REPORT STUDY CARD.json``: write
``<card name>.json`` from a report folder, its sweep folder and a card."""

import json
import pathlib
import sys

from keras_ppg_kd.pretrained.laws import _HERE, build

if len(sys.argv) != 4:
    sys.exit(__doc__)
report, study, card_file = sys.argv[1:]
laws = build(report, study, json.loads(pathlib.Path(card_file).read_text()))
out = _HERE / f"{laws['card']['name']}.json"
out.write_text(json.dumps(laws, indent=1) + "\n")
print(f"wrote {out}")
