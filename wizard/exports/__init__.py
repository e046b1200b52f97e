"""What a session or a plan becomes on paper: the md record, the sh setup script, the Ansible project, the
plan listing. Imports the session store, steps and the bottom layer; never the engine or a front end."""
