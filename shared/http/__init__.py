"""HTTP plumbing shared by both services: problem details, strict bodies, auth, health."""
