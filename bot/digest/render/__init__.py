"""A digest shown: Telegram messages, the HTML report, the workbook, the chart and `/status`,
made from the model alone."""
