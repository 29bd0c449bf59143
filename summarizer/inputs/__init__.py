"""Reading inputs: files, exports and records -> ``Document`` objects (text, sentences, metadata).

Imports nothing of the package but ``errors``.
"""
