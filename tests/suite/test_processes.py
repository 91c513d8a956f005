"""The embedded stack's start-up problems each come as one sentence that says what to do."""

import socket

import pytest

from support.processes import StackError, claim_port, require_binary


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
