"""Instructor tooling on top of nbgrader: release, grade, feedback and export."""
