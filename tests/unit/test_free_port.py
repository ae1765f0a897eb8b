"""Ports for the processes a test or `rdv up` starts: never the same one twice (rdv.embedded.free_port)."""
from rdv.embedded import free_port


def test_a_thousand_ports_asked_in_a_row_are_all_different():
    # The kernel picks a freed port at random: a thousand picks would meet one twice almost surely.
    ports = [free_port() for _ in range(1000)]
    assert len(set(ports)) == len(ports)
