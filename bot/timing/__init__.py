"""When things happen: the clock, months, working days, cron openings and each
department's schedule of openings, reminders and deadlines."""
