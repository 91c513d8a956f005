"""The language model, reached through any OpenAI-compatible chat completions API."""
