"""Data-quality rules (pandera schemas, rule tables) used by the pipelines and asset checks."""
