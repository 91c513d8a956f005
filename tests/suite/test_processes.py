"""The embedded stack's start-up problems each come as one sentence that says what to do."""

import socket

import pytest

from support.stack.processes import StackError, claim_port, require_binary


def test_a_missing_binary_says_how_to_install_it():
    """A server binary that is not on PATH names the command that installs it."""
    with pytest.raises(StackError, match="not-a-redis-server is not installed: run `make setup`"):
        require_binary("not-a-redis-server", "run `make setup` and try again")


def test_a_configured_port_in_use_says_how_to_free_it():
    """A fixed port that something else holds is refused, naming the variable to unset."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(StackError, match=f"port {port} for the engine is in use.*"
                                             "unset GRIZZ_ENGINE_PORT"):
            claim_port(port, "the engine", "GRIZZ_ENGINE_PORT")


def test_no_configured_port_means_a_free_one():
    """Without a configured port the suite picks one it can bind."""
    port = claim_port(None, "the engine", "GRIZZ_ENGINE_PORT")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_the_front_end_is_the_child_that_listens_on_the_port():
    """Of a parent's children, the one listening on the port is found, whatever its name;
    a child that listens elsewhere, or a grandchild, is not."""
    import subprocess
    import sys
    import time

    from support.stack.processes import child_listening, free_port
    port, other = free_port(), free_port()
    listen = ("import socket, time; s = socket.socket(); s.bind(('127.0.0.1', {})); "
              "s.listen(); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time\n"
        f"a = subprocess.Popen([sys.executable, '-c', {listen.format(other)!r}])\n"
        f"b = subprocess.Popen([sys.executable, '-c', {listen.format(port)!r}])\n"
        "print(b.pid, flush=True); time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        expected = int(parent.stdout.readline().split()[0])
        deadline = time.monotonic() + 10
        found = None
        while found is None and time.monotonic() < deadline:
            found = child_listening(parent.pid, port)
            time.sleep(0.05)
        assert found == expected, f"found {found}, the listener is {expected}"
        assert child_listening(parent.pid, free_port()) is None
    finally:
        import psutil
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()


def test_a_port_handed_to_one_stack_is_not_handed_to_another_within_the_minute(
        tmp_path, monkeypatch):
    """Two stacks booting at once each ask the kernel for a free port before their servers
    bind one; the kernel may answer both with the same port."""
    from support.stack import processes
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    answers = iter([41000, 41000, 41000, 41001])
    monkeypatch.setattr(processes, "_kernel_free_port", lambda: next(answers))
    assert processes.free_port() == 41000
    assert processes.free_port() == 41001  # 41000 asked for twice more, refused both times
    (tmp_path / processes.PORTS_HANDED_OUT).write_text("41000 1.0\n4100")  # long ago; cut short
    monkeypatch.setattr(processes, "_kernel_free_port", lambda: 41000)
    assert processes.free_port() == 41000
