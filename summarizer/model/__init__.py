"""Asking the model: prompts, the one question and its answer's schema, transport retries, backends."""
