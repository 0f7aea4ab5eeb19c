"""e-Surety application code (everything Lambda needs besides app.py)."""
