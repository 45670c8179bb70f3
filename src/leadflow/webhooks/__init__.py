"""Webhook subscriptions delivered: an outbox written with the event, sent by the worker."""
