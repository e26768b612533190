#!/usr/bin/env bash
# The demo administrator of `make run`: created once with a random password (kept in var/demo-admin.txt,
# mode 0600), which the first login must change. No account with a known default password ever exists.
set -euo pipefail
cd "$(dirname "$0")/.."
file=var/demo-admin.txt
if [ ! -f "$file" ]; then
  password="Demo#$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(9))')"
  .venv/bin/archives users create --username demo-admin --name 演示管理员 --password "$password" \
      --role 系统管理员 --agency 52000001 >/dev/null
  umask 077
  printf '%s\n' "$password" > "$file"
fi
echo "演示管理员：demo-admin  初始口令：$(cat "$file")（首次登录须修改） http://127.0.0.1:8080/"
