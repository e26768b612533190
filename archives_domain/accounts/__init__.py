"""User accounts (用户与口令): password hashing and policy, built-in roles, account creation.

Kept out of the web app so that the shell (`archives users …`) creates
accounts by exactly the rules the login page enforces.
"""
