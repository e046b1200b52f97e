"""ha-wizard: a terminal wizard for the Corosync/Pacemaker/HAProxy lab guide."""

__version__ = "0.1.0"
