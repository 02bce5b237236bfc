"""Declared state machines: definitions (YAML), validation, the engine, guards and the trail."""
