"""The interactive front ends: the Textual app (app, screens, widgets) and plain mode (questionary).
Imports any layer below; nothing imports it but the command line."""
