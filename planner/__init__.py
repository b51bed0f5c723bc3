"""planner: gigabit-fiber and low-altitude drone-corridor planning from OpenStreetMap data."""

__version__ = "0.1.0"
