"""carecred: the command line that wires the services together (serve, keys, demo)."""
