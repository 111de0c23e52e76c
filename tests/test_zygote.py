"""The test zygote runs a command as its own interpreter would."""

import signal
import subprocess
import sys
import time

import pytest

from tests import zygote

CLI = [sys.executable, "-m", "keras_ppg_kd.cli"]


def test_a_forked_command_answers_as_a_fresh_interpreter(tmp_path):
    for args in (["models", "--blocks=1"], ["train", "--strategy=foo"]):
        real = subprocess.run(
            CLI + args, capture_output=True, text=True, cwd=tmp_path
        )
        forked = zygote.run(CLI + args, cwd=tmp_path)
        assert forked.returncode == real.returncode
        assert forked.stdout == real.stdout and forked.stderr == real.stderr
    assert real.returncode == 2  # the second: a flag of another command


def test_exit_status_working_directory_and_timeout(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(
        "import os, sys, time\n"
        "print(os.getcwd(), os.environ['PROBE'], sys.argv[1:])\n"
        "if sys.argv[1] == 'sleep': time.sleep(30)\n"
        "sys.exit(sys.argv[1] if sys.argv[1] != '3' else 3)\n"
    )
    env = {"PROBE": "here", "PATH": "/usr/bin:/bin"}
    command = [sys.executable, str(script)]
    done = zygote.run(command + ["3"], cwd=tmp_path, env=env)
    assert (done.returncode, done.stdout) == (3, f"{tmp_path} here ['3']\n")
    done = zygote.run(command + ["no good"], cwd=tmp_path, env=env)
    assert (done.returncode, done.stderr) == (1, "no good\n")
    with pytest.raises(subprocess.TimeoutExpired):
        zygote.run(command + ["sleep"], env=env, timeout=2)
    done = zygote.run(command + ["3"], cwd=tmp_path, env=env)  # a new one
    assert done.returncode == 3


def test_a_started_command_is_watched_and_killed_as_a_popen(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "probe_lib.py").write_text("WHERE = 'lib'\n")
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys, time\n"
        "import probe_lib\n"  # only on $PYTHONPATH
        "print(probe_lib.WHERE, sys.argv[1:])\n"
        "print('to stderr', file=sys.stderr)\n"
        "if sys.argv[1] == 'sleep': time.sleep(30)\n"
        "sys.exit(3)\n"
    )
    env = {"PYTHONPATH": str(tmp_path / "lib"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, str(script)]
    real = subprocess.run(
        command + ["x"], capture_output=True, text=True, env=env
    )
    started = zygote.start(command + ["x"], cwd=tmp_path, env=env)
    assert isinstance(started, zygote.Started) and started.pid > 0
    assert started.communicate(timeout=60) == (real.stdout, real.stderr)
    assert started.returncode == real.returncode == 3

    sleeping = zygote.start(command + ["sleep"], env=env)
    time.sleep(0.5)
    assert sleeping.poll() is None
    sleeping.send_signal(signal.SIGKILL)
    assert sleeping.wait(timeout=10) == -signal.SIGKILL
    with pytest.raises(subprocess.TimeoutExpired):  # and killed, unlike Popen
        zygote.start(command + ["sleep"], env=env).communicate(timeout=1)
