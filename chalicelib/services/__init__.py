"""Use cases. Each holds one flow and talks to the store through its adapters."""
