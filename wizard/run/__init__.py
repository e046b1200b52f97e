"""Running the plan: the engine and its SSH and local runners, host and HTTP operations, host keys, the
wizard's key, VBoxManage discovery, the connection check, going back to the snapshot, grading a cluster.
Imports the session store, steps and the bottom layer; never a front end or an export."""
