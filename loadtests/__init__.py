"""Proof under load: a throwaway app stack (stack.py), the locust scenarios and `make load` (run.py)."""
