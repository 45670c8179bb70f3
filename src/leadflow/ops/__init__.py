"""Operating Leadflow: backups, health, retention, metrics and logs (docs/operations.md)."""
