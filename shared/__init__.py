"""Code both services use: settings, persistence wiring, auth, errors, audit."""
