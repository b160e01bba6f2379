"""The pure rule engine: no Flask, no database. Other packages import this one, not the reverse."""
