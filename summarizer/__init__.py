"""resistance-summarizer: evidence-grounded summaries of cancer therapy-resistance findings."""

__version__ = "0.1.0"
