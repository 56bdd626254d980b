"""The Telegram side: the python-telegram-bot application, its handlers, jobs and sender."""
