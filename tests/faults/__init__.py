"""Network faults on loopback: a TCP proxy the tests put between a component and its client."""
