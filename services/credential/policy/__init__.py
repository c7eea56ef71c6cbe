"""Role policy data files shipped with the service (the default policy, ``default.json``)."""
