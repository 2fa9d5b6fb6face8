"""What workers do with each job: /chat and, registered beside it, the account commands.

`registry` maps a command name to its handler; `context` is what every handler gets; `errors`
turns failures into the replies users see. Handlers live one per module (chat.py, ...).
"""
