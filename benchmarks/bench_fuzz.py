"""The property-based tests at their long profile: counts and times.

CI runs each property test at the fast profile (25 examples, fixed
seeds); this runs them at ``HYPOTHESIS_PROFILE=long`` (1000 random
examples each, a new random draw every run) and prints, per test, the
examples that passed, failed and were invalid, and the time.

Usage: python benchmarks/bench_fuzz.py [--profile long]
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TESTS = [
    "tests/tracking/test_hmm.py::"
    "test_property_tracker_output_is_a_class_and_c_equals_numpy",
    "tests/datasets/test_reader_properties.py::"
    "test_property_own_recordings_error_or_true_labels",
]
_COUNTS = re.compile(
    r"during (?:reuse|generate) phase.*?\n.*?\n\s*- (\d+) passing, "
    r"(\d+) failing, and (\d+) invalid test cases"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="long", help="ci or long")
    args = parser.parse_args()
    env = {**os.environ, "HYPOTHESIS_PROFILE": args.profile}
    print(
        f"| property test ({args.profile}) | passed | failed | invalid "
        "| seconds | result |"
    )
    print("|---|---|---|---|---|---|")
    status = 0
    for test in TESTS:
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:logging",
                "--hypothesis-show-statistics",
                test,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        # examples replayed from .hypothesis/ and newly generated ones
        phases = [map(int, m) for m in _COUNTS.findall(done.stdout)]
        passed, failed, invalid = map(sum, zip(*phases)) if phases else "???"
        result = "ok" if done.returncode == 0 else "FAILED"
        status |= done.returncode
        print(
            f"| {test.split('::')[1]} | {passed} | {failed} | {invalid} "
            f"| {seconds:.0f} | {result} |"
        )
        if done.returncode:
            print(done.stdout[-4000:])
    sys.exit(status)


if __name__ == "__main__":
    main()
