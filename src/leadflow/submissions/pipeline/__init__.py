"""The submission pipeline: a submitted lead qualified, routed, capped and delivered."""
