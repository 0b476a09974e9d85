"""deploy/stack.py's port picking: the ports of one stack are all different."""

from __future__ import annotations

import socket

from deploy.stack import free_ports


def test_the_ports_of_one_stack_are_all_different_and_free() -> None:
    # One asked for after another may be the one just let go: a stack once
    # gave nginx and granian the same port.
    ports = free_ports(["127.0.0.1"] * 64)

    assert len(set(ports)) == len(ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))  # nobody holds it now
