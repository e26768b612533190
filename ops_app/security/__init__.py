"""等保三级 security of the app: login, passwords, sessions, headers, audit of security events."""
