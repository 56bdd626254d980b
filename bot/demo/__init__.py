"""The demo: a whole month end of a simulated team, on the emulator and SQLite."""
