"""The bottom layer: what the plan is made of, with no I/O beyond reading an answers file.

answers (the TOML contract), validation, names, reach (how each node is dialled), figures (the lines
actions print), fields (the answers as editable fields), i18n (every string for people, English and
Spanish). Imported by everything above; imports nothing of ha-wizard but itself.
"""
