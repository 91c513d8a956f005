"""Worker processes: consume jobs from llm_jobs, stream replies, store them."""
