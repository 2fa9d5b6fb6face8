"""shapes.inc export fixtures for the personality import tests."""
