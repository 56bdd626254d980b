"""The service layer: what the bot does, with no knowledge of Telegram.

Telegram handlers and scheduled jobs call these functions; they call storage. Each public
function runs one unit of work (`Database.unit_of_work`), which is where transactions commit.
"""
