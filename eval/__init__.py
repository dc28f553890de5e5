"""docqa's evaluation: datasets of questions with known facts, metrics, runs and reports."""
