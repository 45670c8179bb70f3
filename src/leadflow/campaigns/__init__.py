"""Campaigns of the submission side (LeadSail dialect): CRUD and configuration."""
