"""Ports for the processes a test or `rdv up` starts: never the same one twice (rdv.embedded.free_port),
and for a service's replicas, a run of them all free (free_port_run)."""
import socket

from rdv import embedded
from rdv.embedded import free_port, free_port_run


def test_a_thousand_ports_asked_in_a_row_are_all_different():
    # The kernel picks a freed port at random: a thousand picks would meet one twice almost surely.
    ports = [free_port() for _ in range(1000)]
    assert len(set(ports)) == len(ports)


def test_a_run_of_ports_for_replicas_is_free_and_never_given_again():
    first = free_port_run(3, 10)
    run = {first, first + 10, first + 20}
    for port in run:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # free
    assert not run & {free_port() for _ in range(500)}


def test_a_run_skips_a_first_port_whose_replica_port_is_taken(monkeypatch):
    # The replica's port (+10) is taken by a listening socket: that run is not given, the next one is.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        offered = iter([busy - 10, free_port()])
        monkeypatch.setattr(embedded, "free_port", lambda: next(offered))
        first = embedded.free_port_run(2, 10)
    assert first != busy - 10
