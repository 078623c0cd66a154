#!/usr/bin/env sh
# The browser tests drive Debian's Chromium (never a downloaded browser): install it when it is
# missing and this user may, otherwise say exactly what to run. Called by `make test`.
set -eu

if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi

install="apt-get install -y -qq chromium"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $install >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests (with sudo)..."
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive $install >/dev/null
else
  echo "The browser tests need Chromium and this user cannot install it. Run, as root:" >&2
  echo "    apt-get update && $install" >&2
  echo "or point CHROMIUM_PATH at an installed Chromium, then run make test again." >&2
  exit 1
fi
