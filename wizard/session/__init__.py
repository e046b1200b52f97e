"""The session store: a run's checkpoint, journal and lock on disk, what is out of date, and the user's
preferences. Imports only the bottom layer (wizard.base) and steps."""
