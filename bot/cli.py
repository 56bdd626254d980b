"""The `monthend` command line, for admins."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn, TextIO
from zoneinfo import ZoneInfo

import click
from telegram import Bot
from telegram.error import InvalidToken

from bot import logs
from bot.config import ENV_TOKEN, Config, ConfigError, DepartmentConfig, load_config
from bot.questionnaire import QuestionnaireError
from bot.services import cycles, directory, overview, report_files, target_import
from bot.services import members as member_data
from bot.services.context import Services
from bot.services.report_files import Format
from bot.services.target_file import COLUMNS, TargetFileError
from bot.timing.clock import SystemClock
from bot.timing.periods import Period
from bot.timing.schedule import CycleTimes, due_periods
from bot.timing.workdays import department_schedule
from bot.wording.numbers import format_number
from storage.db import Database, DatabaseUnavailable
from storage.models import Role


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def _config(ctx: click.Context) -> Config:
    path: Path = ctx.obj["config_path"]
    try:
        return load_config(path)
    except ConfigError as exc:
        _fail(str(exc))


def _database(config: Config) -> Database:
    """The configured database, upgraded; one line naming it and why when it cannot be opened."""
    try:
        db = Database.opened(config.database.url)
    except DatabaseUnavailable as exc:
        _fail(str(exc))
    db.upgrade()
    return db


def _services(ctx: click.Context) -> Services:
    """The config, an up-to-date database, and the departments and managers synced into it."""
    config = _config(ctx)
    services = Services(db=_database(config), config=config, clock=SystemClock())
    directory.sync_config(services)
    return services


@click.group()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default="config.toml",
    show_default=True,
    envvar="MONTHEND_CONFIG",
    help="The configuration file (env MONTHEND_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path) -> None:
    """monthend: a Telegram bot that runs a team's month end."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


@main.command()
@click.option(
    "--webhook",
    "use_webhook",
    is_flag=True,
    help="Receive updates on a webhook behind a reverse proxy (see [webhook] in the config) "
    "instead of long polling.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="With --webhook: listen on this port instead of webhook.port.",
)
@click.pass_context
def run(ctx: click.Context, use_webhook: bool, port: int | None) -> None:
    """Run the bot until stopped (SIGINT or SIGTERM): long polling, or with --webhook."""
    from bot.chat.app import build_application, serve
    from bot.chat.webhook import checked

    config = _config(ctx)
    if port is not None and not use_webhook:
        _fail("--port: only with --webhook")
    webhook = config.webhook.model_copy(update={"port": port}) if port else config.webhook
    try:
        token = config.require_token()
        if use_webhook:
            checked(webhook)
    except ConfigError as exc:
        _fail(str(exc))
    logs.configure(token)
    application = build_application(_services(ctx), token)
    try:
        asyncio.run(serve(application, webhook if use_webhook else None))
    except InvalidToken:
        _fail(f"{ENV_TOKEN}: the Bot API refused this token (is it the one @BotFather gave?)")
    except Exception as exc:  # logged through the filter that keeps the token out
        logging.getLogger("monthend").critical("the bot stopped", exc_info=True)
        _fail(f"the bot stopped: {logs.redact(str(exc), token)}")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the database schema."""
    _database(_config(ctx))
    click.echo("Database is up to date.")


@main.command()
@click.option("--department", required=True, help="Department key from the config.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.MEMBER.value,
    show_default=True,
)
@click.option(
    "--reusable", is_flag=True, help="One code for a whole department (until it expires)."
)
@click.pass_context
def invite(ctx: click.Context, department: str, role: str, reusable: bool) -> None:
    """Print an invite link that registers whoever opens it."""
    services = _services(ctx)
    _known_department(services.config, department)
    code = directory.create_invite(services, department, Role(role), reusable)
    click.echo(_link(services, code))


@main.group()
def members() -> None:
    """Members of departments."""


@members.command("import")
@click.argument("roster", type=click.File(encoding="utf-8-sig"))
@click.pass_context
def members_import(ctx: click.Context, roster: TextIO) -> None:
    """Register people from a CSV roster (name, department[, role, username, language]).

    Prints a personal link for each; people whose Telegram username is in the roster are also
    recognised when they first write to the bot."""
    services = _services(ctx)
    try:
        entries = directory.import_roster(services, roster)
    except directory.RosterError as exc:
        _fail(f"{roster.name}: {exc}")
    for entry in entries:
        click.echo(f"{entry.name}\t{entry.department}\t{_link(services, entry.code)}")


_DEPARTMENT_FILTER = click.option("--department", help="Only this department (its key).")


@members.command("list")
@_DEPARTMENT_FILTER
@click.pass_context
def members_list(ctx: click.Context, department: str | None) -> None:
    """Print everyone registered, tab-separated: name, Telegram id, department, role, status,
    whether the bot can write to them, and when they joined (in the department's time)."""
    services = _services(ctx)
    _known_department(services.config, department)
    click.echo("name\ttelegram_id\tdepartment\trole\tstatus\treachable\tjoined")
    for row in overview.members(services, department):
        zone = services.department(row.department).zone
        joined = f"{row.joined_at.astimezone(zone):%Y-%m-%d %H:%M}" if row.joined_at else "-"
        fields = (row.name, row.telegram_id or "-", row.department, row.role, row.status)
        reachable = "yes" if row.reachable else "no"
        click.echo("\t".join(map(str, (*fields, reachable, joined))))


@main.command()
@_DEPARTMENT_FILTER
@click.pass_context
def status(ctx: click.Context, department: str | None) -> None:
    """Print how the open month ends stand (who has submitted, who is missing) and what the
    outbox holds, as managers see it with /status."""
    services = _services(ctx)
    _known_department(services.config, department)
    standing = overview.standing(services, department)
    if not standing.month_ends:
        click.echo("No month end is open.")
    for m in standing.month_ends:
        deadline = m.deadline.astimezone(services.department(m.department).zone)
        click.echo(
            f"{m.department} {m.period}: deadline {deadline:%Y-%m-%d %H:%M %Z}; {m.members} "
            f"members: {m.submitted} submitted ({m.late} late), {m.answering} answering, "
            f"{m.not_started} not started, {m.missing} missing, {m.on_leave} on leave; "
            f"{m.unreachable} unreachable"
        )
    box, hours = standing.outbox, overview.RECENT // timedelta(hours=1)
    click.echo(
        f"Outbox: {box.pending} pending; in the last {hours} hours {box.failed} failed, "
        f"{box.unconfirmed} unconfirmed."
    )


@main.group()
def member() -> None:
    """One person: export everything stored about them, delete it, or end their manager
    role."""


_MEMBER_ID = click.argument("telegram_id", metavar="ID", type=int)
_BY_MEMBER_ID = click.option(
    "--member-id",
    "by_member_id",
    is_flag=True,
    help='ID is monthend\'s member id (the "id" in an export), not the Telegram user id.',
)


@member.command("export")
@_MEMBER_ID
@_BY_MEMBER_ID
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    show_default=True,
    help="Where to write the JSON.",
)
@click.pass_context
def member_export(ctx: click.Context, telegram_id: int, by_member_id: bool, output: TextIO) -> None:
    """Write everything stored about the person with Telegram user id ID, as JSON."""
    ref = member_data.MemberRef(telegram_id, is_telegram_id=not by_member_id)
    data = member_data.export(_services(ctx), ref)
    if data is None:
        _fail(f"no member with {ref}")
    json.dump(data, output, ensure_ascii=False, indent=2)
    output.write("\n")


@member.command("delete")
@_MEMBER_ID
@_BY_MEMBER_ID
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def member_delete(ctx: click.Context, telegram_id: int, by_member_id: bool, yes: bool) -> None:
    """Delete the person with Telegram user id ID and everything stored about them."""
    ref = member_data.MemberRef(telegram_id, is_telegram_id=not by_member_id)
    services = _services(ctx)
    with services.db.unit_of_work() as session:
        found = member_data.find(session, ref)
        if found is None:
            _fail(f"no member with {ref}")
        name, found_telegram_id = found.name, found.telegram_id
    if any(m.telegram_id == found_telegram_id for m in services.config.managers):
        _fail(f"{name} is a manager in the config: remove them from [[managers]] first")
    if not yes:
        click.confirm(
            f"Delete {name} and everything stored about them? This cannot be undone.", abort=True
        )
    removed = member_data.remove(services, ref)
    assert removed is not None
    counts = ", ".join(f"{table} {n}" for table, n in removed.deleted.items())
    click.echo(f"Deleted {removed.name}: {counts}.")
    if removed.unlinked:
        kept = ", ".join(f"{table} {n}" for table, n in removed.unlinked.items())
        click.echo(f"Kept without their name (what they did for others): {kept}.")


@member.command("demote")
@_MEMBER_ID
@_BY_MEMBER_ID
@click.pass_context
def member_demote(ctx: click.Context, telegram_id: int, by_member_id: bool) -> None:
    """Make the manager with Telegram user id ID, who joined with a manager invite, a member of
    their department: no manager commands or digests from now on.

    A manager listed in the config stops being one when removed from [[managers]] (at the
    next start)."""
    ref = member_data.MemberRef(telegram_id, is_telegram_id=not by_member_id)
    try:
        name, department = directory.demote(_services(ctx), ref)
    except directory.DemoteError as exc:
        _fail(str(exc))
    click.echo(
        f"{name} is now a member of {department}: asked for their summary from the next "
        "month end on, no manager commands or digests."
    )


@main.group()
def targets() -> None:
    """KPI targets of departments and members, for months, quarters and years."""


@targets.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def targets_import(ctx: click.Context, file: Path) -> None:
    """Store the targets in a CSV or XLSX FILE whose first row names the columns department,
    member, kpi, period and value; member empty for the department's own target, period as
    YYYY, YYYY-Qn or YYYY-MM. A target already stored for the same department or member,
    KPI and period is replaced. If any row is bad, each is named and nothing is stored."""
    services = _services(ctx)
    try:
        stored = target_import.import_targets(services, file)
    except TargetFileError as exc:
        for bad in exc.bad:
            click.echo(f"{file}: {bad}", err=True)
        _fail(f"{file}: nothing was stored; correct the rows above and import it again")
    click.echo(f"Stored {stored} targets from {file}.")


@targets.command("list")
@click.option("--department", required=True, help="Department key from the config.")
@click.option("--period", help="Only this period: YYYY, YYYY-Qn or YYYY-MM.")
@click.pass_context
def targets_list(ctx: click.Context, department: str, period: str | None) -> None:
    """Print a department's targets and its members', tab-separated in the columns of an
    import file (member - for the department's own)."""
    services = _services(ctx)
    _known_department(services.config, department)
    try:
        found = target_import.listed(services, department, period)
    except ValueError as exc:
        _fail(f"--period: {exc}")
    click.echo("\t".join(COLUMNS))
    for t in found:
        value = format_number(t.value, "en")
        click.echo("\t".join((department, t.member or "-", t.kpi, t.period, value)))


@main.group()
def cycle() -> None:
    """Month-end cycles."""


@cycle.command("open")
@click.option("--department", required=True, help="Department key from the config.")
@click.option("--period", required=True, help="The month, as YYYY-MM.")
@click.pass_context
def cycle_open(ctx: click.Context, department: str, period: str) -> None:
    """Open a month end now and queue the first question for every active member."""
    try:
        month = Period.parse(period)
    except ValueError as exc:
        _fail(f"--period: {exc}")
    services = _services(ctx)
    _known_department(services.config, department)
    try:
        result = cycles.open_cycle(services, department, month)
    except QuestionnaireError as exc:
        _fail(str(exc))
    if result.created:
        click.echo(f"Opened {department} {month}: {result.asked} members will be asked.")
        if result.send_at is not None and result.send_at > services.clock.now():
            local = result.send_at.astimezone(services.department(department).zone)
            click.echo(f"Quiet hours: the questions go out at {local:%Y-%m-%d %H:%M %Z}.")
    else:
        click.echo(f"{department} {month} was already open; nothing was sent again.")


@main.command()
@click.option("--department", required=True, help="Department key from the config.")
@click.option("--period", required=True, help="A year YYYY, a quarter YYYY-Qn or a month YYYY-MM.")
@click.option(
    "--format", "form", type=click.Choice(["html", "xlsx"]), default="html", show_default=True
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write it (default: its own name in the current folder).",
)
@click.pass_context
def report(
    ctx: click.Context, department: str, period: str, form: Format, output: Path | None
) -> None:
    """Write a department's report of a year, a quarter or a month (the month's digest report)
    as the managers receive it, and print its path."""
    services = _services(ctx)
    _known_department(services.config, department)
    try:
        name, content = report_files.report_file(services, department, period, form)
    except report_files.ReportError as exc:
        _fail(f"--period: {exc}")
    path = output or Path(name)
    path.write_bytes(content)
    click.echo(str(path.resolve()))


@main.command()
@click.option("--department", required=True, help="Department key from the config.")
@click.option("--months", default=12, show_default=True, type=click.IntRange(1, 120))
@click.option(
    "--start", help="The first month, as YYYY-MM (default: the month end now running or next)."
)
@click.pass_context
def schedule(ctx: click.Context, department: str, months: int, start: str | None) -> None:
    """Print the coming cycles' openings, reminders, deadlines and reminders to review in the
    department's time zone, and those of the department's report to the org head after each, to
    check the schedule rules before a month end."""
    config = _config(ctx)
    _known_department(config, department)
    settings = config.departments[department]
    plan = department_schedule(settings)
    if start is None:
        now = SystemClock().now()
        previous, current = due_periods(now, plan.zone)
        first = previous if plan.deadline(previous) > now else current
    else:
        try:
            first = Period.parse(start)
        except ValueError as exc:
            _fail(f"--start: {exc}")
    click.echo(_rules_summary(department, settings))
    reports = config.org.head_telegram_id is not None and settings.schedule.department_report
    for offset in range(months):
        times = plan.cycle_times(first.shift(offset))
        click.echo(f"\n{times.period}")
        moments = _moments(times)
        if (review := plan.review_reminder(times.deadline)) is not None:
            moments.append(("review", review))  # managers reminded of reports not reviewed
        _echo_moments(moments, plan.zone, "  ")
        if reports:
            click.echo("  department report to the org head:")
            _echo_moments(_moments(plan.report_times(times.period)), plan.zone, "    ")


def _moments(times: CycleTimes) -> list[tuple[str, datetime]]:
    """A cycle's opening, reminders and deadline, each named."""
    moments = [("opens", times.opens_at)] + [("reminder", r) for r in times.reminders]
    return [*moments, ("deadline", times.deadline)]


def _echo_moments(moments: list[tuple[str, datetime]], zone: ZoneInfo, indent: str) -> None:
    """Named moments, a line each, in `zone`."""
    for what, moment in moments:
        click.echo(f"{indent}{what:<9} {moment.astimezone(zone):%a %Y-%m-%d %H:%M %Z}")


@main.command()
@click.option("--members", "team_size", default=6, show_default=True, help="How many staff.")
def demo(team_size: int) -> None:
    """Run a whole simulated month end on the built-in Telegram emulator."""
    from bot.demo.month_end import run_demo

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends it, as Enter does at its end
        asyncio.run(run_demo(team_size))


def _rules_summary(key: str, department: DepartmentConfig) -> str:
    """The settings behind a department's schedule, in a few lines."""
    calendar, rules = department.calendar, department.schedule
    country = " ".join(filter(None, (calendar.country, calendar.subdivision))) or "Monday-Friday"
    quiet = f"quiet hours {rules.quiet_hours}" if rules.quiet_hours else "no quiet hours"
    return (
        f"{key} ({department.name}), times in {department.timezone}\n"
        f"working days: {country}, {len(calendar.days_off)} company days off, "
        f"{len(calendar.working_days)} extra working days\n"
        f"{quiet}{', nothing on days off' if rules.quiet_on_days_off else ''}; "
        f"at most {rules.max_reminders} reminders per member"
    )


def _known_department(config: Config, department: str | None) -> None:
    """Stop with a clear line when `department` is given and not in the config."""
    if department is not None and department not in config.departments:
        known = ", ".join(config.departments)
        _fail(f"--department: unknown department {department!r} (known: {known})")


def _link(services: Services, code: str) -> str:
    """The deep link for an invite code; asks the Bot API for the bot's username."""
    try:
        token = services.config.require_token()
    except ConfigError:
        return f"/start {code}   (set MONTHEND_BOT_TOKEN to get a t.me link)"
    bot = Bot(token, base_url=services.config.bot.api_url)
    try:
        me = asyncio.run(bot.get_me())
    except Exception:
        return f"/start {code}   (the Bot API could not be reached for a t.me link)"
    return f"https://t.me/{me.username}?start={code}"
