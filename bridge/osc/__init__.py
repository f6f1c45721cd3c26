"""OSC front end: packet checks, transports, the router and one route module per domain."""
