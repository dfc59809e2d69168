"""Test support shared by every test suite: real servers on loopback, real databases."""
