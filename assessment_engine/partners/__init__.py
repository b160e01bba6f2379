"""Partner organisations and the services they run."""
