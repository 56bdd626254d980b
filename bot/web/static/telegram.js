// What every page takes from Telegram, in one place: the init data it was opened with and its
// theme. Inside Telegram, telegram-web-app.js gives both and keeps the --tg-theme-* variables up
// to date as the user changes theme; without it (tests, previews) they come from the address's
// fragment, where Telegram also passes them.
"use strict";

const telegram = window.Telegram && window.Telegram.WebApp;
const launch = new URLSearchParams(window.location.hash.slice(1));
const initData = (telegram && telegram.initData) || launch.get("tgWebAppData") || "";

/** Telegram's theme as the --tg-theme-* variables the pages' styles read (the system's light
 * or dark decides without them); tells Telegram the page is ready. */
function applyTheme() {
  if (telegram && telegram.initData) {
    telegram.ready();
    telegram.expand();
    return; // telegram-web-app.js sets the variables itself
  }
  let theme = {};
  try {
    theme = JSON.parse(launch.get("tgWebAppThemeParams") || "{}");
  } catch {
    return;
  }
  for (const [key, value] of Object.entries(theme)) {
    if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(String(value))) {
      document.documentElement.style.setProperty(`--tg-theme-${key.replaceAll("_", "-")}`, value);
    }
  }
}
