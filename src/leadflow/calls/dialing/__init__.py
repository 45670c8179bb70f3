"""make_call: dial one lead now, through the guards, once."""
