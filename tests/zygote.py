"""Run the package's commands without paying TensorFlow's import each time.

``python -m keras_ppg_kd.cli ...`` and ``python examples/<script>.py ...``
spend ~5 s of CPU importing TensorFlow before they do anything, and the
tests run about a hundred of them. :func:`run` gives each command a
process of its own, forked from a *zygote* that imported the package once
(one zygote per test process): the command's own code, arguments,
environment and working directory, its stdout, stderr and exit status,
in a process that shares nothing with the test or with other commands.

What it cannot show is what a command prints or decides *while*
TensorFlow is imported (its log lines, the environment read then): tests
of that, or of what a command imports, run a real interpreter
(``subprocess.run``). :func:`run` also falls back to one for any other
command line, and where the environment differs from the zygote's in a
variable read at import (``KERAS_*``, ``TF_*``, ``JAX_*``, ``XLA_*``,
``PYTHON*``; ``PYTHONPATH`` is applied to the command's ``sys.path`` as
an interpreter would).

:func:`start` is the same for a command the test watches while it runs
(and may kill): a ``subprocess.Popen`` that starts without the import.
"""

import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

_IMPORT_TIME = ("KERAS_", "TF_", "JAX_", "XLA_", "PYTHON", "CUDA_")
_APPLIED = ("PYTHONPATH",)  # what the forked command applies itself
_zygote = None


def run(command, cwd=None, env=None, timeout=300):
    """``subprocess.run(command, capture_output=True, text=True, ...)``,
    forked from the zygote where ``command`` is ``[sys.executable, "-m",
    "keras_ppg_kd.cli", ...]`` or ``[sys.executable, "<script>.py", ...]``.

    Returns:
        A :class:`subprocess.CompletedProcess` with text stdout and stderr.

    Raises:
        subprocess.TimeoutExpired: the command ran past ``timeout`` (it is
            killed).
    """
    command = [str(part) for part in command]
    env = dict(os.environ if env is None else env)
    target = _target(command)
    if target is None or _differs(env):
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=timeout,
        )
    return _Zygote.get().run(command, target, cwd, env, timeout)


def start(command, cwd=None, env=None):
    """``subprocess.Popen(command, ...)`` with stdout and stderr captured
    (in files: a command the test does not read never blocks on a full
    pipe), forked from the zygote where :func:`run` would fork.

    Returns:
        A :class:`Started`: ``pid``, ``returncode``, ``poll``, ``wait``,
        ``send_signal``, ``kill`` and ``communicate`` (text stdout and
        stderr), as a ``Popen``'s, except that ``communicate`` kills the
        command when it times out (no command outlives its test).
    """
    command = [str(part) for part in command]
    env = dict(os.environ if env is None else env)
    target = _target(command)
    if target is None or _differs(env) or not os.path.isdir("/proc"):
        folder = _folder()
        with (
            open(os.path.join(folder, "stdout"), "w") as out,
            open(os.path.join(folder, "stderr"), "w") as err,
        ):
            popen = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=out, stderr=err
            )
        return Started(command, popen.pid, folder, popen)
    return _Zygote.get().start(command, target, cwd, env)


class Started:
    """A command :func:`start` started, read as a ``Popen``.

    A forked command's exit status is the one its process wrote as it
    ended; killed by a signal it wrote none, and ``returncode`` is minus
    the signal this object sent (minus ``SIGKILL`` if it sent none).
    """

    def __init__(self, args, pid, folder, popen=None):
        self.args, self.pid, self.returncode = args, pid, None
        self._folder, self._signal, self._popen = folder, None, popen

    def poll(self):
        if self._popen is not None:
            self.returncode = self._popen.poll()
        elif self.returncode is None and not running(self.pid):
            status = os.path.join(self._folder, "status")
            if os.path.exists(status):
                with open(status) as f:
                    self.returncode = int(f.read())
            else:
                self.returncode = -(self._signal or signal.SIGKILL)
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, sig):
        if self.poll() is None:
            self._signal = sig
            os.kill(self.pid, sig)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout=None):
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()
            raise
        return self.output()

    def output(self):
        """``(stdout, stderr)`` as written so far (the command may run on)."""
        outputs = []
        for name in ("stdout", "stderr"):
            with open(os.path.join(self._folder, name)) as f:
                outputs.append(f.read())
        return tuple(outputs)


def _folder():
    """A folder for a started command's output, removed at exit."""
    folder = tempfile.mkdtemp(prefix="zygote-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def running(pid):
    """Whether ``pid`` runs (a zombie has ended; Linux ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _target(command):
    """``("module", name, args)`` or ``("script", path, args)``, or None."""
    if len(command) < 2 or command[0] != sys.executable:
        return None
    if command[1] == "-m" and len(command) > 2:
        if command[2].startswith("keras_ppg_kd"):
            return ("module", command[2], command[3:])
        return None
    if command[1].endswith(".py") and os.path.isfile(command[1]):
        return ("script", os.path.abspath(command[1]), command[2:])
    return None


def _differs(env):
    """Whether ``env`` changes a variable read while the package imports."""
    keys = {k for k in {*env, *os.environ} if k.startswith(_IMPORT_TIME)}
    keys -= set(_APPLIED)
    return any(env.get(k) != _Zygote.env.get(k) for k in keys)


class _Zygote:
    """The forking server, one per test process (started on first use)."""

    env = dict(os.environ)  # the environment it imports the package in

    @classmethod
    def get(cls):
        global _zygote
        if _zygote is None or _zygote.process.poll() is not None:
            _zygote = cls()
        return _zygote

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=self.env,
        )
        atexit.register(self.close)

    def run(self, command, target, cwd, env, timeout):
        with tempfile.TemporaryDirectory() as folder:
            out, err = (os.path.join(folder, n) for n in ("out", "err"))
            request = {
                "target": target,
                "cwd": os.fspath(cwd or os.getcwd()),
                "env": env,
                "stdout": out,
                "stderr": err,
            }
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            pid = json.loads(self._line(timeout))["pid"]
            try:
                code = json.loads(self._line(timeout))["returncode"]
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self.close()
                raise
            with open(out) as f, open(err) as g:
                stdout, stderr = f.read(), g.read()
        return subprocess.CompletedProcess(command, code, stdout, stderr)

    def start(self, command, target, cwd, env):
        folder = _folder()
        request = {
            "target": target,
            "cwd": os.fspath(cwd or os.getcwd()),
            "env": env,
            "stdout": os.path.join(folder, "stdout"),
            "stderr": os.path.join(folder, "stderr"),
            "status": os.path.join(folder, "status"),
        }
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        pid = json.loads(self._line(60))["pid"]
        return Started(command, pid, folder)

    def _line(self, timeout):
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = ready and self.process.stdout.readline()
        if not line:
            if not ready:
                raise subprocess.TimeoutExpired("zygote", timeout)
            raise RuntimeError("The test zygote died.")
        return line

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _pythonpath(env):
    """The ``sys.path`` entries an interpreter makes of ``$PYTHONPATH``."""
    paths = env.get("PYTHONPATH", "").split(os.pathsep)
    return [os.path.abspath(path) for path in paths if path]


def _serve():
    """The zygote: import the package, then fork one child per request."""
    before = dict(os.environ)
    import keras_ppg_kd  # noqa: F401  (TensorFlow through its quiet import)
    import keras_ppg_kd.datasets  # noqa: F401
    import keras_ppg_kd.deploy  # noqa: F401
    import keras_ppg_kd.training.generalize  # noqa: F401

    # What importing the package set (its quiet log level): a command's
    # own interpreter would set it too, where its environment has none.
    defaults = {k: v for k, v in os.environ.items() if k not in before}
    replies = os.fdopen(os.dup(1), "w")
    started = set()  # commands of start(): reaped once they end
    for line in sys.stdin:
        request = json.loads(line)
        for pid in list(started):
            if os.waitpid(pid, os.WNOHANG)[0]:
                started.discard(pid)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request, defaults)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        if "status" in request:
            started.add(pid)
            continue
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        replies.write(json.dumps({"returncode": code}) + "\n")
        replies.flush()


def _child(request, defaults):
    """Become the command: its directory, environment, argv and files;
    exit as the interpreter would (``SystemExit`` and atexit included)."""
    import runpy
    import traceback

    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(defaults | request["env"])
        for entry in _pythonpath(_Zygote.env):  # the zygote's own
            if entry in sys.path:
                sys.path.remove(entry)
        sys.path[1:1] = _pythonpath(os.environ)
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(request[name], os.O_WRONLY | os.O_CREAT), fd)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # not the requests
        sys.stdin = open(os.devnull)
        kind, name, args = request["target"]
        sys.argv = [name, *args]  # run_module puts the module's path first
        if kind == "script":
            sys.path[0] = os.path.dirname(name)
            runpy.run_path(name, run_name="__main__")
        else:
            sys.path[0] = os.getcwd()
            runpy.run_module(name, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            if "status" in request:
                with open(request["status"], "w") as f:
                    f.write(str(code))
            os._exit(code)


if __name__ == "__main__":
    _serve()
