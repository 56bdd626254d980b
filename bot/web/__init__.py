"""The Mini App pages (the member's form, the manager's dashboard) on the bot's own HTTP server.

aiohttp lives here and in bot.chat only; what the pages show and change comes from
bot.services. Every API request is authenticated by the init data Telegram signs (bot.web.auth).
"""
