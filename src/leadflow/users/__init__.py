"""People who sign in to the web app: each belongs to one company and sees only its rows."""
