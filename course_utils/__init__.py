"""Helpers the course notebooks import: devices, data, training, plotting and checks."""
