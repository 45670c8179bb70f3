"""How Leadflow reaches people: voice, SMS and e-mail providers behind small protocols."""
