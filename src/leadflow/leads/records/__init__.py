"""The company API's read/update side of leads (list, show, events, update): the ORM records,
kept apart from intake's hot path in ``leads/`` (``repository.py``, ``service.py``)."""
